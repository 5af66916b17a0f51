// The SMTP (RFC 3207) and LMTP (RFC 2033) STARTTLS dialogue: greeting, EHLO/LHLO,
// STARTTLS only when advertised, and 220 as the one go-ahead.
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import type { Capabilities, Exchange, Reply, DialogueContext } from '../types.js';
import { parseEhloCapabilities } from './capabilities.js';
import { replyCode, replyText } from './reply.js';

async function greeting(exchange: Exchange): Promise<void> {
  const reply = await exchange.reply('greeting');
  const code = replyCode(reply);
  if (code === 220) return;
  if (code === 421 || code === 554) {
    throw serverClosed(`the server refused the session in its greeting (${code})`, { reply: replyText(reply) });
  }
  throw protocolError(`unexpected greeting: expected 220, got ${code || 'a malformed reply'}`, {
    reply: replyText(reply),
  });
}

export async function hello(exchange: Exchange, verb: 'EHLO' | 'LHLO', context: DialogueContext): Promise<Reply> {
  const command = `${verb} ${context.clientName}`;
  exchange.send(command);
  const reply = await exchange.reply(verb);
  const code = replyCode(reply);
  if (code === 250) return reply;
  const text = replyText(reply);
  const aboutName = /helo|ehlo|lhlo|host ?name|domain|fqdn|name/i.test(text);
  throw protocolError(`the server rejected ${verb} (${code || 'malformed reply'})`, {
    command,
    reply: text,
    hint: aboutName
      ? `the server may not accept the name "${context.clientName}": try -name with this machine's real host name`
      : undefined,
  });
}

export async function smtpStartTls(
  exchange: Exchange,
  verb: 'EHLO' | 'LHLO',
  context: DialogueContext,
): Promise<Capabilities> {
  await greeting(exchange);
  const capabilities = parseEhloCapabilities(await hello(exchange, verb, context));
  if (!capabilities.keywords.has('STARTTLS')) {
    throw startTlsUnavailable(`the server does not offer STARTTLS in its ${verb} reply, so mailprobe stops`, {
      hint: 'use -plain for a cleartext session, or -tls if this port expects implicit TLS',
    });
  }
  exchange.send('STARTTLS');
  const reply = await exchange.reply('STARTTLS');
  const code = replyCode(reply);
  if (code !== 220) {
    throw startTlsUnavailable(`the server refused STARTTLS (${code || 'malformed reply'}), so mailprobe stops`, {
      command: 'STARTTLS',
      reply: replyText(reply),
      hint:
        code === 454
          ? '454 means TLS is temporarily unavailable on the server (often a missing or unreadable certificate)'
          : 'use -plain for a cleartext session',
    });
  }
  return capabilities;
}
