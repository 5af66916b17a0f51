// The IMAP STARTTLS dialogue (RFC 3501 §6.2.1, RFC 2595): greeting, CAPABILITY, and a
// tagged STARTTLS whose OK is the go-ahead. A PREAUTH greeting leaves no way to start TLS.
import { buildCapabilities, keywordLine } from '../capabilities.js';
import type { Capabilities, Exchange, Reply, DialogueContext } from '../types.js';
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { capabilityCode, parseImapLine } from './response.js';

export function imapCapabilities(reply: Reply): Capabilities {
  const entries: [string, string[]][] = [];
  for (const line of reply.lines) {
    const parts = parseImapLine(line.text);
    let list: string | undefined;
    // CAPABILITY answers, or a [CAPABILITY ...] response code right after the status
    // (RFC 3501 §7.1) — never one buried in the human-readable text.
    if (parts.kind === 'untagged' && parts.status === 'CAPABILITY') list = parts.rest;
    else list = capabilityCode(parts.rest);
    if (list === undefined) continue;
    for (const word of list.split(/\s+/).filter(Boolean)) entries.push(keywordLine(word));
  }
  return buildCapabilities(entries);
}

const text = (reply: Reply) => reply.lines.map((line) => line.text).join('\n');

function tagged(reply: Reply) {
  return parseImapLine(reply.last.text);
}

export async function imapGreeting(exchange: Exchange): Promise<Reply> {
  const reply = await exchange.reply('greeting');
  const status = parseImapLine(reply.last.text).status;
  if (status === 'PREAUTH') {
    throw startTlsUnavailable('the server greeted with PREAUTH, so STARTTLS is impossible and mailprobe stops', {
      reply: text(reply),
      hint: 'a PREAUTH session is already logged in without TLS; use -plain only if that is what you mean to test',
    });
  }
  if (status === 'BYE') throw serverClosed('the server refused the session in its greeting (BYE)', { reply: text(reply) });
  if (status !== 'OK') throw protocolError('unexpected IMAP greeting: expected "* OK"', { reply: text(reply) });
  return reply;
}

export async function imapCapability(exchange: Exchange, tag: string): Promise<Capabilities> {
  const command = `${tag} CAPABILITY`;
  exchange.send(command);
  const reply = await exchange.reply('CAPABILITY');
  if (tagged(reply).status !== 'OK') {
    throw protocolError('the server refused CAPABILITY', { command, reply: text(reply) });
  }
  return imapCapabilities(reply);
}

export async function imapStartTls(exchange: Exchange, context: DialogueContext): Promise<Capabilities> {
  await imapGreeting(exchange);
  const capabilities = await imapCapability(exchange, context.nextTag());
  if (!capabilities.keywords.has('STARTTLS')) {
    throw startTlsUnavailable('the server does not offer STARTTLS in its CAPABILITY reply, so mailprobe stops', {
      hint: 'use -plain for a cleartext session, or -tls (port 993) for implicit TLS',
    });
  }
  const command = `${context.nextTag()} STARTTLS`;
  exchange.send(command);
  const reply = await exchange.reply('STARTTLS');
  const parts = tagged(reply);
  if (parts.kind !== 'tagged' || parts.status !== 'OK') {
    throw startTlsUnavailable(`the server refused STARTTLS (${parts.status ?? 'no status'}), so mailprobe stops`, {
      command,
      reply: text(reply),
      hint: 'use -plain for a cleartext session',
    });
  }
  return capabilities;
}
