// The one credential policy, for every command that can send a secret (the session's typed
// lines and :auth, check --user, load --user): never over cleartext without
// --allow-plaintext-auth, never to a server whose certificate did not verify without
// --insecure. Same words and exit code (13) everywhere.
import { MailprobeError } from '../errors.js';
import type { TlsInfo } from '../transport/handshake.js';

export interface CredentialPolicy {
  allowPlaintextAuth: boolean;
  /** Send credentials even when the certificate did not verify. */
  insecure: boolean;
}

/** Why credentials may not go over this connection, or undefined when they may. */
export function credentialRefusal(connection: { tls?: TlsInfo; protocol?: { startTlsName?: string } }, policy: CredentialPolicy): MailprobeError | undefined {
  if (!connection.tls && !policy.allowPlaintextAuth) {
    const starttls = connection.protocol?.startTlsName ? `-starttls ${connection.protocol.startTlsName}` : '-starttls PROTO';
    return new MailprobeError('CREDENTIALS_REFUSED', 'refusing to send credentials over a cleartext connection', {
      hint: `reconnect with TLS (${starttls}, or -tls on the implicit-TLS port), or give --allow-plaintext-auth to send them anyway`,
    });
  }
  if (connection.tls && !connection.tls.verdict.verified && !policy.insecure) {
    return new MailprobeError('CREDENTIALS_REFUSED', "refusing to send credentials: the server's certificate did not verify, so it may be an impostor", {
      hint: 'give the right CA with -CAfile, or --insecure to send them anyway',
    });
  }
  return undefined;
}

export function guardCredentials(connection: { tls?: TlsInfo; protocol?: { startTlsName?: string } }, policy: CredentialPolicy): void {
  const refusal = credentialRefusal(connection, policy);
  if (refusal) throw refusal;
}
