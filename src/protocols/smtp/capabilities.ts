// EHLO/LHLO replies: the first line greets, each further line is "KEYWORD params".
import { buildCapabilities, keywordLine } from '../capabilities.js';
import type { Capabilities, Reply } from '../types.js';
import { parseReplyLine } from './reply.js';

export function parseEhloCapabilities(reply: Reply): Capabilities {
  return ehloCapabilities(reply.lines.map((line) => line.text));
}

/** The same from the reply's lines as text ("250-PIPELINING"). */
export function ehloCapabilities(lines: string[]): Capabilities {
  const entries = lines
    .slice(1)
    .map((line) => parseReplyLine(line))
    .filter((parts) => parts !== undefined)
    .map((parts) => keywordLine(parts.text));
  return buildCapabilities(entries);
}
