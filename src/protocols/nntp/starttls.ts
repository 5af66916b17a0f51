// The NNTP STARTTLS dialogue (RFC 4642, RFC 3977 §5): greeting 200/201, CAPABILITIES
// that must list STARTTLS, STARTTLS whose 382 is the one go-ahead.
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { buildCapabilities, emptyCapabilities, keywordLine } from '../capabilities.js';
import type { Capabilities, Exchange, Reply } from '../types.js';
import { replyCode, replyText } from './reply.js';

/** The capability lines of a 101 reply (between the status line and the final "."). */
export function parseCapabilities(reply: Reply): Capabilities {
  return buildCapabilities(reply.lines.slice(1, -1).map((line) => keywordLine(line.text)), 'SASL');
}

export async function nntpCapabilities(exchange: Exchange): Promise<{ code: number; capabilities: Capabilities; reply: Reply }> {
  exchange.send('CAPABILITIES');
  const reply = await exchange.reply('CAPABILITIES');
  const code = replyCode(reply);
  return { code, reply, capabilities: code === 101 ? parseCapabilities(reply) : emptyCapabilities() };
}

async function greeting(exchange: Exchange): Promise<void> {
  const reply = await exchange.reply('greeting');
  const code = replyCode(reply);
  if (code === 200 || code === 201) return;
  // 400: service temporarily unavailable; 502: service permanently unavailable (§5.1.1).
  if (code === 400 || code === 502) {
    throw serverClosed(`the server refused service in its greeting (${code})`, { reply: replyText(reply) });
  }
  throw protocolError(`unexpected NNTP greeting: expected 200 or 201, got ${code || 'a malformed reply'}`, {
    reply: replyText(reply),
  });
}

export async function nntpStartTls(exchange: Exchange): Promise<Capabilities> {
  await greeting(exchange);
  const { code, capabilities, reply } = await nntpCapabilities(exchange);
  // RFC 4642 §2.1: a server that takes STARTTLS lists it in CAPABILITIES; no list, no offer.
  if (code !== 101) {
    throw startTlsUnavailable(`the server does not answer CAPABILITIES (${code || 'malformed reply'}), so STARTTLS is not offered and mailprobe stops`, {
      command: 'CAPABILITIES',
      reply: replyText(reply),
      hint: 'use -plain for a cleartext session, or -tls (port 563) for implicit TLS',
    });
  }
  if (!capabilities.keywords.has('STARTTLS')) {
    throw startTlsUnavailable('the server does not offer STARTTLS in its CAPABILITIES reply, so mailprobe stops', {
      // RFC 3977 §5.3: a server in transit mode (INN's innd) lists MODE-READER, and its
      // reader (nnrpd) may offer STARTTLS only after MODE READER.
      hint: capabilities.keywords.has('MODE-READER')
        ? 'the server is in transit mode (it lists MODE-READER): its reader may offer STARTTLS after MODE READER; try -plain and type MODE READER, then CAPABILITIES'
        : 'use -plain for a cleartext session, or -tls (port 563) for implicit TLS',
    });
  }
  exchange.send('STARTTLS');
  const answer = await exchange.reply('STARTTLS');
  const answerCode = replyCode(answer);
  if (answerCode !== 382) {
    throw startTlsUnavailable(`the server refused STARTTLS (${answerCode || 'malformed reply'}), so mailprobe stops`, {
      command: 'STARTTLS',
      reply: replyText(answer),
      hint:
        answerCode === 580
          ? '580 means the server could not start TLS (often a missing or unreadable certificate)'
          : 'use -plain for a cleartext session',
    });
  }
  return capabilities;
}
