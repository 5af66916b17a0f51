// POP3 AUTH (RFC 5034) and USER/PASS (RFC 1939 §7).
import type { PasswordLogin, SaslProfile } from '../types.js';

export const pop3Sasl: SaslProfile = {
  command: (mechanism, initial) => `AUTH ${mechanism}${initial === undefined ? '' : ` ${initial === '' ? '=' : initial}`}`,
  acceptsInitialResponse: () => true,
  outcome(reply) {
    const text = reply.last.text;
    if (text === '+' || text.startsWith('+ ')) return { kind: 'challenge', base64: text.slice(1).trim() };
    if (text.startsWith('+OK')) return { kind: 'success' };
    return { kind: 'failure' };
  },
  response: (base64) => base64,
  cancel: '*',
};

export const pop3UserPass: PasswordLogin = {
  name: 'USER/PASS',
  async run(exchange, user, password) {
    exchange.send(`USER ${user}`);
    const userReply = await exchange.reply('USER');
    if (!userReply.last.text.startsWith('+OK')) return { ok: false, reply: userReply };
    exchange.send(`PASS ${password}`, 'PASS [redacted]');
    const reply = await exchange.reply('PASS');
    return { ok: reply.last.text.startsWith('+OK'), reply };
  },
};
