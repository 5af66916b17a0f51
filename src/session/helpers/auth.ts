// :auth [MECH] [USER [PASSWORD]] — authenticate with the protocol's own command, the
// strongest mechanism the server offers unless one is named, through the one login path
// (client/login.ts) and its credential policy. A refused login is an error: exit 12 in a script.
import { MailprobeError } from '../../errors.js';
import { guardCredentials } from '../../client/credentials.js';
import { login, loginMethod } from '../../client/login.js';
import { toMechanismName, type MechanismName } from '../../sasl/index.js';
import type { Helper } from './context.js';

interface AuthRequest {
  mechanism?: MechanismName;
  user?: string;
  password?: string;
}

export function parseAuthArgs(args: string): AuthRequest {
  let rest = args.trim();
  const take = () => {
    const match = /^(\S+)\s*(.*)$/s.exec(rest);
    if (!match) return undefined;
    rest = match[2];
    return match[1];
  };
  const request: AuthRequest = {};
  let first = take();
  const mechanism = first === undefined ? undefined : toMechanismName(first);
  if (mechanism) {
    request.mechanism = mechanism;
    first = take();
  }
  request.user = first;
  // The password is the rest of the line, so it may hold spaces.
  if (rest !== '') request.password = rest;
  return request;
}

export const authHelper: Helper = {
  name: 'auth',
  usage: ':auth [MECH] [USER [PASSWORD]]',
  summary: 'authenticate (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1/256, XOAUTH2, OAUTHBEARER; strongest offered by default)',
  async run(context, args) {
    const { protocol, capabilities, printer, connection, options } = context;
    const request = parseAuthArgs(args);
    if (!request.user) throw new MailprobeError('USAGE', `usage: ${authHelper.usage}`);
    if (!protocol.sasl && !protocol.passwordLogin) {
      throw new MailprobeError('USAGE', 'no protocol is known on this connection, so mailprobe cannot log in for you', { hint: 'reconnect with -proto PROTO (or -starttls PROTO)' });
    }
    // The policy is checked before the password is asked for, and again by login().
    guardCredentials(connection, options);
    const target = { connection, protocol, context: context.dialogue, capabilities: capabilities.latest };
    const method = loginMethod(target, request.mechanism);
    const offered = capabilities.latest?.authMechanisms ?? [];
    if (request.mechanism && offered.length > 0 && !offered.includes(request.mechanism)) {
      printer.warn(`the server does not advertise ${request.mechanism} (it offers ${offered.join(' ')}); trying anyway`);
    }
    const token = method.mechanism === 'XOAUTH2' || method.mechanism === 'OAUTHBEARER';
    const secret = await context.secret(request.password, token ? `OAuth token for ${request.user}: ` : `Password for ${request.user}: `);
    if (secret === undefined) return printer.result(`:auth cancelled: no ${token ? 'token' : 'password'} given`);
    const outcome = await login(
      target,
      { user: request.user, secret, mechanism: method.mechanism, host: options.tls.servername ?? options.host, port: options.port },
      options,
    );
    if (!outcome.ok) {
      throw new MailprobeError('AUTH_FAILED', `authentication as ${request.user} with ${outcome.how} failed`, {
        reply: outcome.reply.lines.map((line) => line.text).join('\n'),
      });
    }
    printer.result(`authenticated as ${request.user} with ${outcome.how}`);
    context.reached('auth');
  },
};
