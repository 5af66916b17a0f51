// The FTP AUTH TLS dialogue (RFC 4217): greeting 220, FEAT that must list AUTH TLS, and
// AUTH TLS whose 234 is the one go-ahead; over TLS, PBSZ 0 and PROT P (§9, §10) and FEAT
// again. A server that does not know FEAT (RFC 2389 came after RFC 959) cannot list AUTH
// TLS: its answer to AUTH TLS then decides, as openssl s_client does.
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import type { Capabilities, Exchange } from '../types.js';
import { askFeatures, AUTH_TLS } from './features.js';
import { replyCode, replyText } from './reply.js';

const PLAIN_HINT = 'use -plain for a cleartext session, or -tls (port 990) for implicit TLS';

/** What a refusal of AUTH TLS usually means (RFC 2228 §4 and RFC 4217 §6 codes). */
const REFUSAL_HINTS: Readonly<Record<number, string>> = {
  500: 'the server does not know AUTH (no TLS support, or TLS turned off)',
  502: 'the server does not implement AUTH (no TLS support, or TLS turned off)',
  504: 'the server does not take the TLS mechanism of AUTH',
  534: '534 means the server refuses TLS by policy',
  431: '431 means the server cannot start TLS now (often a missing or unreadable certificate)',
};

async function greeting(exchange: Exchange): Promise<void> {
  // A "120 ready in N minutes" comes before the 220 in the same reply (the framer's 1xx rule).
  const reply = await exchange.reply('greeting');
  const code = replyCode(reply);
  if (code === 220) return;
  if (code === 421) throw serverClosed('the server refused the session in its greeting (421)', { reply: replyText(reply) });
  throw protocolError(`unexpected FTP greeting: expected 220, got ${code || 'a malformed reply'}`, { reply: replyText(reply) });
}

export async function ftpStartTls(exchange: Exchange): Promise<Capabilities> {
  await greeting(exchange);
  const { listed, capabilities, reply } = await askFeatures(exchange);
  if (listed && !capabilities.keywords.has(AUTH_TLS)) {
    throw startTlsUnavailable('the server does not offer AUTH TLS in its FEAT reply, so mailprobe stops', {
      command: 'FEAT',
      reply: replyText(reply),
      hint: PLAIN_HINT,
    });
  }
  exchange.send('AUTH TLS');
  const answer = await exchange.reply('AUTH TLS');
  const code = replyCode(answer);
  if (code !== 234) {
    throw startTlsUnavailable(`the server refused AUTH TLS (${code || 'malformed reply'}), so mailprobe stops`, {
      command: 'AUTH TLS',
      reply: replyText(answer),
      hint: REFUSAL_HINTS[code] ?? PLAIN_HINT,
    });
  }
  return capabilities;
}

/**
 * Over TLS: PBSZ 0 (required before PROT, §9) and PROT P, so data connections would be
 * protected too (§10), then FEAT. A refused PROT P leaves the control channel protected
 * and only data connections (which the session never opens) in the clear: a warning, and
 * the session goes on.
 */
export async function ftpAfterTls(exchange: Exchange): Promise<Capabilities | undefined> {
  exchange.send('PBSZ 0');
  await exchange.reply('PBSZ');
  exchange.send('PROT P');
  const prot = replyCode(await exchange.reply('PROT'));
  if (prot !== 200) {
    exchange.warn?.(`the server refused PROT P (${prot || 'malformed reply'}): the control channel is protected, data connections would not be`);
  }
  const { listed, capabilities } = await askFeatures(exchange);
  return listed ? capabilities : undefined;
}
