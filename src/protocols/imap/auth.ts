// IMAP AUTHENTICATE (RFC 3501 §6.2.2, SASL-IR RFC 4959) and LOGIN (§6.2.3), with
// strings quoted as the grammar requires.
import type { PasswordLogin, SaslProfile } from '../types.js';
import { parseImapLine } from './response.js';

export const imapSasl: SaslProfile = {
  command: (mechanism, initial, context) =>
    `${context.nextTag()} AUTHENTICATE ${mechanism}${initial === undefined ? '' : ` ${initial === '' ? '=' : initial}`}`,
  acceptsInitialResponse: (capabilities) => !!capabilities?.keywords.has('SASL-IR'),
  outcome(reply) {
    const parts = parseImapLine(reply.last.text);
    if (parts.kind === 'continuation') return { kind: 'challenge', base64: parts.rest.trim() };
    if (parts.kind === 'tagged' && parts.status === 'OK') return { kind: 'success' };
    return { kind: 'failure' };
  },
  response: (base64) => base64,
  cancel: '*',
};

/** An IMAP astring: an atom when it can be, else a quoted string with \ and " escaped. */
export function imapString(text: string): string {
  if (/^[!#$&'*+,\-./0-9:;<=>?@A-Z^_`a-z|~]+$/.test(text)) return text;
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export const imapLogin: PasswordLogin = {
  name: 'LOGIN',
  async run(exchange, user, password, context) {
    const tag = context.nextTag();
    exchange.send(`${tag} LOGIN ${imapString(user)} ${imapString(password)}`, `${tag} LOGIN ${imapString(user)} [redacted]`);
    const reply = await exchange.reply('LOGIN');
    const parts = parseImapLine(reply.last.text);
    return { ok: parts.kind === 'tagged' && parts.status === 'OK', reply };
  },
};

export function continuationChallenge(text: string): string | undefined {
  const parts = parseImapLine(text);
  return parts.kind === 'continuation' ? parts.rest.trim() : undefined;
}
