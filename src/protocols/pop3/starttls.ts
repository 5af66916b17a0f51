// The POP3 STLS dialogue (RFC 2595 §4): greeting, CAPA, STLS whose +OK is the go-ahead.
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { buildCapabilities, keywordLine } from '../capabilities.js';
import type { Capabilities, Exchange, Reply } from '../types.js';

const text = (reply: Reply) => reply.lines.map((line) => line.text).join('\n');
const ok = (reply: Reply) => reply.lines[0]?.text.startsWith('+OK') ?? false;

export async function pop3Capa(exchange: Exchange): Promise<{ supported: boolean; capabilities: Capabilities }> {
  exchange.send('CAPA');
  const reply = await exchange.reply('CAPA');
  if (!ok(reply)) return { supported: false, capabilities: buildCapabilities([]) };
  const entries = reply.lines.slice(1, -1).map((line) => keywordLine(line.text));
  return { supported: true, capabilities: buildCapabilities(entries, 'SASL') };
}

export async function pop3StartTls(exchange: Exchange): Promise<Capabilities> {
  const greeting = await exchange.reply('greeting');
  if (!ok(greeting)) {
    if (greeting.last.text.startsWith('-ERR')) {
      throw serverClosed('the server refused the session in its greeting (-ERR)', { reply: text(greeting) });
    }
    throw protocolError('unexpected POP3 greeting: expected "+OK"', { reply: text(greeting) });
  }
  const { supported, capabilities } = await pop3Capa(exchange);
  // A server without CAPA cannot advertise STLS; its answer to STLS itself then decides.
  if (supported && !capabilities.keywords.has('STLS')) {
    throw startTlsUnavailable('the server does not offer STLS in its CAPA reply, so mailprobe stops', {
      hint: 'use -plain for a cleartext session, or -tls (port 995) for implicit TLS',
    });
  }
  exchange.send('STLS');
  const reply = await exchange.reply('STLS');
  if (!ok(reply)) {
    throw startTlsUnavailable('the server refused STLS, so mailprobe stops', {
      command: 'STLS',
      reply: text(reply),
      hint: 'use -plain for a cleartext session',
    });
  }
  return capabilities;
}
