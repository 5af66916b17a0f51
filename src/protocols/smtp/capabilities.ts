// EHLO/LHLO replies: the first line greets, each further line is "KEYWORD params".
import { buildCapabilities, keywordLine } from '../capabilities.js';
import type { Capabilities, Reply } from '../types.js';
import { parseReplyLine } from './reply.js';

export function parseEhloCapabilities(reply: Reply): Capabilities {
  const entries = reply.lines
    .slice(1)
    .map((line) => parseReplyLine(line.text))
    .filter((parts) => parts !== undefined)
    .map((parts) => keywordLine(parts.text));
  return buildCapabilities(entries);
}
