// :auth [MECH] [USER [PASSWORD]] — authenticate with the protocol's own command, the
// strongest mechanism the server offers unless one is named. Credentials never go over
// cleartext without --allow-plaintext-auth, nor over unverified TLS without --insecure.
import { MailprobeError } from '../../errors.js';
import { runSasl } from '../../protocols/saslExchange.js';
import { createSaslClient, pickMechanism, toMechanismName, type MechanismName } from '../../sasl/index.js';
import type { Helper, HelperContext } from './context.js';

/** Refuses to send credentials where they could be read or sent to an impostor. */
export function guardCredentials(context: HelperContext): void {
  const { connection, options, protocol } = context;
  if (!connection.tls && !options.allowPlaintextAuth) {
    const how = protocol.name === 'raw' ? '-starttls PROTO or -tls' : `-starttls ${protocol.name}, or -tls on the implicit-TLS port`;
    throw new MailprobeError('CREDENTIALS_REFUSED', 'refusing to send credentials over a cleartext connection', {
      hint: `reconnect with TLS (${how}), or give --allow-plaintext-auth to send them anyway`,
    });
  }
  if (connection.tls && !connection.tls.verdict.verified && !options.insecure) {
    throw new MailprobeError('CREDENTIALS_REFUSED', 'refusing to send credentials: the server\'s certificate did not verify, so it may be an impostor', {
      hint: 'give the right CA with -CAfile, or --insecure to send them anyway',
    });
  }
}

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
    const { protocol, capabilities, printer } = context;
    const request = parseAuthArgs(args);
    if (!request.user) throw new MailprobeError('USAGE', `usage: ${authHelper.usage}`);
    guardCredentials(context);
    const offered = capabilities.latest?.authMechanisms ?? [];
    const mechanism = request.mechanism ?? pickMechanism(offered);
    const login = protocol.passwordLogin;
    if (!mechanism && !(login && protocol.loginAllowed?.(capabilities.latest))) {
      throw new MailprobeError('AUTH_FAILED', `the server offers no SASL mechanism mailprobe knows (offered: ${offered.join(' ') || 'none'})`, {
        hint: protocol.name === 'smtp' ? 'send EHLO first, or name a mechanism: :auth PLAIN user' : 'name a mechanism: :auth PLAIN user',
      });
    }
    if (request.mechanism && offered.length > 0 && !offered.includes(request.mechanism)) {
      printer.warn(`the server does not advertise ${request.mechanism} (it offers ${offered.join(' ')}); trying anyway`);
    }
    const token = mechanism === 'XOAUTH2' || mechanism === 'OAUTHBEARER';
    const secret = await context.secret(request.password, token ? `OAuth token for ${request.user}: ` : `Password for ${request.user}: `);
    if (secret === undefined) return printer.result(`:auth cancelled: no ${token ? 'token' : 'password'} given`);
    let ok: boolean;
    if (mechanism && protocol.sasl) {
      const client = createSaslClient(mechanism, {
        user: request.user,
        secret,
        host: context.options.tls.servername ?? context.options.host,
        port: context.options.port,
      });
      ({ ok } = await runSasl(context.connection, protocol.sasl, client, context.dialogue, capabilities.latest));
    } else if (login) {
      ({ ok } = await login.run(context.connection, request.user, secret, context.dialogue));
    } else {
      throw new MailprobeError('AUTH_FAILED', `${protocol.label} has no way to authenticate here`);
    }
    const how = mechanism ?? login?.name;
    if (ok) {
      printer.result(`authenticated as ${request.user} with ${how}`);
      context.reached('auth');
    }
    if (!ok) printer.warn(`authentication as ${request.user} with ${how} failed: see the server's reply above`);
  },
};
