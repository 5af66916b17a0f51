// NNTP authentication (RFC 4643): AUTHINFO SASL with 383 challenges, 281 (or 283 with
// final data) on success, 481/482/502 on failure; and AUTHINFO USER/PASS (381, then 281).
import type { PasswordLogin, SaslProfile } from '../types.js';
import { replyCode, statusLine } from './reply.js';

/** "383 dGVzdA==" → "dGVzdA==" (RFC 4643 §2.4.1); "=" is an empty challenge. */
export function nntpChallenge(text: string): string | undefined {
  const match = /^383(?: (.*))?$/s.exec(text);
  if (!match) return undefined;
  const data = (match[1] ?? '').trim();
  return data === '=' ? '' : data;
}

export const nntpSasl: SaslProfile = {
  command: (mechanism, initial) => `AUTHINFO SASL ${mechanism}${initial === undefined ? '' : ` ${initial === '' ? '=' : initial}`}`,
  acceptsInitialResponse: () => true,
  outcome(reply) {
    const line = statusLine(reply);
    const challenge = nntpChallenge(line);
    if (challenge !== undefined) return { kind: 'challenge', base64: challenge };
    const code = replyCode(reply);
    if (code === 281) return { kind: 'success' };
    if (code === 283) {
      const data = line.slice(4).trim();
      return { kind: 'success', base64: data === '=' ? '' : data };
    }
    return { kind: 'failure' };
  },
  // RFC 4643 §2.4.2: a zero-length response is sent as "=".
  response: (base64) => (base64 === '' ? '=' : base64),
  cancel: '*',
};

export const nntpUserPass: PasswordLogin = {
  name: 'AUTHINFO USER/PASS',
  async run(exchange, user, password) {
    exchange.send(`AUTHINFO USER ${user}`);
    const userReply = await exchange.reply('AUTHINFO USER');
    const userCode = replyCode(userReply);
    // 281 here: the server needs no password for this user (RFC 4643 §2.3.1).
    if (userCode !== 381) return { ok: userCode === 281, reply: userReply };
    exchange.send(`AUTHINFO PASS ${password}`, 'AUTHINFO PASS [redacted]');
    const reply = await exchange.reply('AUTHINFO PASS');
    return { ok: replyCode(reply) === 281, reply };
  },
};
