// The one login path: the credential policy first, then SASL with the strongest mechanism
// offered (or the one named), else the protocol's password login (IMAP LOGIN, POP3
// USER/PASS) where the server allows it — never IMAP LOGIN to a server that says
// LOGINDISABLED. Used by :auth, check --user and load --user.
import { MailprobeError } from '../errors.js';
import { runSasl } from '../protocols/saslExchange.js';
import type { Capabilities, DialogueContext, Exchange, ProtocolSpec, Reply } from '../protocols/types.js';
import { createSaslClient, pickMechanism, type MechanismName } from '../sasl/index.js';
import type { TlsInfo } from '../transport/handshake.js';
import { guardCredentials, type CredentialPolicy } from './credentials.js';

export interface LoginRequest {
  user: string;
  secret: string;
  /** A mechanism the user named; otherwise the strongest offered. */
  mechanism?: MechanismName;
  /** For mechanisms that name the server (OAUTHBEARER). */
  host: string;
  port: number;
}

export interface LoginOutcome {
  ok: boolean;
  reply: Reply;
  /** The mechanism or login command used. */
  how: string;
}

export interface LoginTarget {
  connection: Exchange & { tls?: TlsInfo };
  protocol: ProtocolSpec;
  context: DialogueContext;
  capabilities: Capabilities | undefined;
}

/** Which way a login would go, before any secret is asked for (a prompt needs to know). */
export function loginMethod(target: LoginTarget, named?: MechanismName): { mechanism?: MechanismName; password?: string } {
  const offered = target.capabilities?.authMechanisms ?? [];
  const mechanism = named ?? pickMechanism(offered);
  if (mechanism && target.protocol.sasl) return { mechanism };
  const login = target.protocol.passwordLogin;
  if (login && (!target.capabilities || (target.protocol.offersPasswordLogin?.(target.capabilities) ?? true))) return { password: login.name };
  const said = login ? ` and does not allow ${login.name} (${target.capabilities?.keywords.has('LOGINDISABLED') ? 'LOGINDISABLED' : 'not offered'})` : '';
  throw new MailprobeError('AUTH_FAILED', `the server offers no SASL mechanism mailprobe knows (offered: ${offered.join(' ') || 'none'})${said}`, {
    hint: target.capabilities ? 'name a mechanism: :auth PLAIN user' : 'ask for the capabilities first, or name a mechanism: :auth PLAIN user',
  });
}

export async function login(target: LoginTarget, request: LoginRequest, policy: CredentialPolicy): Promise<LoginOutcome> {
  guardCredentials(target.connection, policy);
  const method = loginMethod(target, request.mechanism);
  if (method.mechanism && target.protocol.sasl) {
    const client = createSaslClient(method.mechanism, { user: request.user, secret: request.secret, host: request.host, port: request.port });
    const { ok, reply } = await runSasl(target.connection, target.protocol.sasl, client, target.context, target.capabilities);
    return { ok, reply, how: method.mechanism };
  }
  const password = target.protocol.passwordLogin;
  if (!password) throw new MailprobeError('AUTH_FAILED', `${target.protocol.label} has no way to log in here`);
  const { ok, reply } = await password.run(target.connection, request.user, request.secret, target.context);
  return { ok, reply, how: password.name };
}
