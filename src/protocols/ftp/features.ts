// FEAT (RFC 2389): "211-Features:", one feature a line, each line starting with a space,
// then "211 End". RFC 4217 §6 lists TLS as " AUTH TLS"; servers also write several
// mechanisms on one line (" AUTH TLS;SSL", " AUTH SSL TLS").
import { buildCapabilities, emptyCapabilities, keywordLine } from '../capabilities.js';
import type { Capabilities, Exchange, Reply } from '../types.js';
import { replyCode } from './reply.js';

/**
 * The keyword that stands for "AUTH lists TLS", so the capability warnings and checks can
 * ask for it by name (a FEAT line's keyword is AUTH, whatever the mechanisms after it).
 */
export const AUTH_TLS = 'AUTH TLS';

/** FTP's AUTH lists security mechanisms, not SASL ones: no FEAT line names SASL mechanisms. */
const NO_SASL_KEYWORD = '';

function featureEntry(text: string): [string, string[]] {
  const [keyword, params] = keywordLine(text);
  if (keyword.toUpperCase() !== 'AUTH') return [keyword, params];
  return [keyword, params.flatMap((param) => param.split(/[;,]/)).filter(Boolean)];
}

/** The features of a 211 reply (the lines between the first and the last). */
export function parseFeatures(reply: Reply): Capabilities {
  const capabilities = buildCapabilities(
    reply.lines.slice(1, -1).map((line) => featureEntry(line.text)),
    NO_SASL_KEYWORD,
  );
  if (capabilities.params.get('AUTH')?.includes('TLS')) capabilities.keywords.add(AUTH_TLS);
  return capabilities;
}

export async function askFeatures(exchange: Exchange): Promise<{ listed: boolean; capabilities: Capabilities; reply: Reply }> {
  exchange.send('FEAT');
  const reply = await exchange.reply('FEAT');
  const listed = replyCode(reply) === 211;
  return { listed, reply, capabilities: listed ? parseFeatures(reply) : emptyCapabilities() };
}
