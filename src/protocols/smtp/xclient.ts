// XCLIENT and XFORWARD (Postfix's XCLIENT_README and XFORWARD_README): a trusted client
// tells the server who the real client is. Attribute values are xtext (RFC 3461 §4); only
// attributes the server lists after the keyword in its EHLO reply are sent. XCLIENT answers
// with a new greeting (220) and the client must say EHLO again; XFORWARD answers 250.
import { protocolError, usageError } from '../../errors.js';
import type { Capabilities, DialogueContext, Exchange, Reply } from '../types.js';
import { parseEhloCapabilities } from './capabilities.js';
import { replyCode, replyText } from './reply.js';
import { hello } from './starttls.js';

export type ForwardVerb = 'XCLIENT' | 'XFORWARD';

/** The attributes each command defines (a server may list fewer). */
export const FORWARD_ATTRIBUTES: Record<ForwardVerb, readonly string[]> = {
  XCLIENT: ['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'LOGIN', 'DESTADDR', 'DESTPORT', 'REVERSE_NAME'],
  XFORWARD: ['NAME', 'ADDR', 'PORT', 'PROTO', 'HELO', 'IDENT', 'SOURCE'],
};

/** RFC 3461 §4: "+" followed by two hex digits for "+", "=", and anything outside "!" to "~". */
export function xtext(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => (byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte))).join('');
}

/** "ADDR=192.0.2.7 NAME=client.example" into pairs; a usage error for anything else. */
export function parseAttributes(verb: ForwardVerb, text: string): [string, string][] {
  const pairs = text.trim().split(/\s+/).filter(Boolean).map((item): [string, string] => {
    const eq = item.indexOf('=');
    if (eq < 1) throw usageError(`${verb}: "${item}" is not NAME=VALUE`, `e.g. ADDR=192.0.2.7 NAME=client.example HELO=client.example`);
    return [item.slice(0, eq).toUpperCase(), item.slice(eq + 1)];
  });
  if (pairs.length === 0) throw usageError(`${verb} needs at least one NAME=VALUE attribute`, `attributes: ${FORWARD_ATTRIBUTES[verb].join(' ')}`);
  return pairs;
}

/** The command line, after checking the server offers the command and lists each attribute. */
export function forwardCommand(verb: ForwardVerb, attributes: [string, string][], offered: Capabilities | undefined): string {
  if (!offered?.keywords.has(verb)) throw usageError(`the server does not offer ${verb}`, verb === 'XCLIENT' ? 'Postfix offers it to smtpd_authorized_xclient_hosts only' : 'Postfix offers it to smtpd_authorized_xforward_hosts only');
  const listed = offered.params.get(verb) ?? [];
  const unknown = attributes.map(([name]) => name).filter((name) => !listed.map((each) => each.toUpperCase()).includes(name));
  if (unknown.length) throw usageError(`the server's ${verb} does not take ${unknown.join(', ')}`, `it lists: ${listed.join(' ') || 'nothing'}`);
  const line = `${verb} ${attributes.map(([name, value]) => `${name}=${xtext(value)}`).join(' ')}`;
  if (line.length > 510) throw usageError(`the ${verb} line would be ${line.length} characters; SMTP allows 510`, `send fewer attributes at once`);
  return line;
}

/**
 * Sends XCLIENT or XFORWARD. XCLIENT's new greeting is followed by EHLO again, and the
 * capabilities it announces are returned (they may differ for the client now named).
 */
export async function forward(exchange: Exchange, verb: ForwardVerb, attributes: [string, string][], offered: Capabilities | undefined, context: DialogueContext): Promise<{ reply: Reply; capabilities?: Capabilities }> {
  const command = forwardCommand(verb, attributes, offered);
  exchange.send(command);
  const reply = await exchange.reply(verb);
  const code = replyCode(reply);
  const expected = verb === 'XCLIENT' ? 220 : 250;
  if (code !== expected) throw protocolError(`the server refused ${verb} (${code || 'malformed reply'})`, { command, reply: replyText(reply) });
  if (verb === 'XFORWARD') return { reply };
  return { reply, capabilities: parseEhloCapabilities(await hello(exchange, 'EHLO', context)) };
}
