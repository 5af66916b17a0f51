// The mechanism-neutral client side of a SASL exchange (RFC 4422). Everything here is
// bytes in, bytes out: the protocol layer does base64, framing and sockets.
import { MailprobeError } from '../errors.js';

export const MECHANISM_NAMES = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'XOAUTH2', 'OAUTHBEARER'] as const;
export type MechanismName = (typeof MECHANISM_NAMES)[number];

export interface Credentials {
  /** Authentication identity (authcid): the login name. */
  user: string;
  /** The password, or the OAuth 2.0 access token for XOAUTH2 / OAUTHBEARER. */
  secret: string;
  /** Authorization identity: act as this user (PLAIN, SCRAM, OAUTHBEARER only). */
  authzid?: string;
  /** Server host and port, sent by OAUTHBEARER (RFC 7628 §3.1); ignored elsewhere. */
  host?: string;
  port?: number;
}

export interface ClientOptions {
  /** SCRAM client nonce; crypto.randomBytes unless injected (tests, RFC vectors). */
  nonce?: () => string;
}

/** One step of an exchange: what to send next (raw bytes, NOT base64). */
export interface SaslStep {
  response: Buffer;
  /**
   * True when the client expects no further challenge. After `done`, a challenge goes to
   * `verifyFinal` when the client has it (SCRAM's server-final), else `respond` throws.
   */
  done?: boolean;
  /** The server reported a failure inside a challenge (OAuth JSON); the result will be a failure. */
  serverError?: string;
}

export interface SaslClient {
  readonly mechanism: MechanismName;
  /** Every response carries the secret or is derived from it: redact all of them in echo and transcript. */
  readonly sensitive: boolean;
  /**
   * The initial response for SASL-IR (RFC 4959) or `AUTH <mech> <ir>`, or undefined when the
   * mechanism waits for a challenge (LOGIN, CRAM-MD5). Call it only when you send it: it
   * advances the client. If you do not send it, the server's empty challenge (RFC 4422 §5)
   * is answered by `respond` with the same bytes.
   */
  initialResponse(): Buffer | undefined;
  /** Answers a challenge (already base64-decoded). Throws SaslError on a malformed, forged or unexpected one. */
  respond(challenge: Buffer): SaslStep;
  /**
   * SCRAM only (absent on other clients): checks the server-final message, whether it came
   * as a last challenge (answer it with an empty response) or as the additional data of
   * the success reply. Throws SaslError when the signature is wrong or missing, or the
   * server reports `e=`.
   */
  verifyFinal?(serverFinal: Buffer): void;
}

export type SaslErrorReason =
  /** Bytes that do not parse as the mechanism's challenge. */
  | 'MALFORMED_CHALLENGE'
  /** A challenge where the mechanism expects none (too many rounds, out of order). */
  | 'UNEXPECTED_CHALLENGE'
  /** SCRAM: the server nonce does not extend the client nonce (RFC 5802 §5.1). */
  | 'BAD_SERVER_NONCE'
  /** SCRAM: iteration count below 4096 (RFC 7677 §4), refused as a downgrade. */
  | 'DOWNGRADE'
  | 'BAD_SERVER_SIGNATURE'
  | 'MISSING_SERVER_SIGNATURE'
  /** SCRAM `e=` from the server. */
  | 'SERVER_ERROR'
  /** SCRAM `m=` or another mandatory extension mailprobe does not implement. */
  | 'UNSUPPORTED_EXTENSION'
  /** Credentials this mechanism cannot carry (a NUL in PLAIN, an authzid with LOGIN). */
  | 'INVALID_CREDENTIALS'
  /** A mechanism mailprobe does not implement. */
  | 'UNSUPPORTED';

// The user's own input is a usage error (exit 2); anything the server did fails the login.
const USER_REASONS: ReadonlySet<SaslErrorReason> = new Set(['INVALID_CREDENTIALS', 'UNSUPPORTED']);

export class SaslError extends MailprobeError {
  /** Why the mechanism stopped; `code` stays the exit-code family (AUTH_FAILED or USAGE). */
  readonly reason: SaslErrorReason;

  constructor(reason: SaslErrorReason, message: string) {
    super(USER_REASONS.has(reason) ? 'USAGE' : 'AUTH_FAILED', message);
    this.name = 'SaslError';
    this.reason = reason;
  }
}
