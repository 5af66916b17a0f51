// FTP login (RFC 959 §4.1.1): USER, then PASS when the server answers 331 (230 means no
// password is needed; 332 asks for an account, which mailprobe does not give). PASS's
// argument is the secret: guarded and redacted wherever it is typed.
import { REDACTED } from '../credentials.js';
import type { PasswordLogin, TypedCredentials } from '../types.js';
import { replyCode } from './reply.js';

/** `PASS secret` (the password is the rest of the line, spaces and all). */
export function ftpSecret(line: string): TypedCredentials | undefined {
  const match = /^\s*PASS\s+(\S.*)$/is.exec(line);
  if (!match) return undefined;
  return { shown: `PASS ${REDACTED}`, credentials: true, sasl: false };
}

/** 230 logged in; 202 "superfluous at this site" (a server that needs no password). */
const LOGGED_IN = new Set([230, 202]);

export const ftpUserPass: PasswordLogin = {
  name: 'USER/PASS',
  async run(exchange, user, password) {
    exchange.send(`USER ${user}`);
    const userReply = await exchange.reply('USER');
    const userCode = replyCode(userReply);
    if (userCode !== 331) return { ok: userCode === 230, reply: userReply };
    exchange.send(`PASS ${password}`, `PASS ${REDACTED}`);
    const reply = await exchange.reply('PASS');
    return { ok: LOGGED_IN.has(replyCode(reply)), reply };
  },
};
