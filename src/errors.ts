// One error base class: every failure mailprobe reports carries a stable code, the exit
// code that code maps to, and (where it has one) the cause, the command and the reply.

export const EXIT_CODES = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  /** The same code as usage errors, as scripts and swaks users expect for a failed EXPECT. */
  EXPECTATION_FAILED: 2,
  DNS: 3,
  CONNECT: 4,
  /** Timeouts, one code per phase so no caller matches English text; all exit 5. */
  CONNECT_TIMEOUT: 5,
  GREETING_TIMEOUT: 5,
  TLS_TIMEOUT: 5,
  REPLY_TIMEOUT: 5,
  TLS_HANDSHAKE: 6,
  STARTTLS_UNAVAILABLE: 7,
  CERT_VERIFY: 8,
  SERVER_CLOSED: 9,
  STARTTLS_INJECTION: 10,
  PROTOCOL: 11,
  AUTH_FAILED: 12,
  CREDENTIALS_REFUSED: 13,
  /** The proxy (-proxy, --socks5) refused the tunnel, or did not speak its protocol. */
  PROXY: 14,
  INTERRUPTED: 130,
  /** Standard output closed by its reader (`| head`): 128 + SIGPIPE, as Unix tools end. */
  OUTPUT_CLOSED: 141,
} as const;

export type ErrorCode = keyof typeof EXIT_CODES;

export interface ErrorDetails {
  cause?: unknown;
  command?: string;
  reply?: string;
  /** Raw bytes worth showing (escaped) under the message, e.g. injected plaintext. */
  bytes?: Buffer;
  /** A second line: what the user can do about it. */
  hint?: string;
}

export class MailprobeError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly command?: string;
  readonly reply?: string;
  readonly bytes?: Buffer;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'MailprobeError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
    this.command = details.command;
    this.reply = details.reply;
    this.bytes = details.bytes;
    this.hint = details.hint;
  }
}

export const usageError = (message: string, hint?: string) => new MailprobeError('USAGE', message, { hint });
export const protocolError = (message: string, details?: ErrorDetails) =>
  new MailprobeError('PROTOCOL', message, details);
export const startTlsUnavailable = (message: string, details?: ErrorDetails) =>
  new MailprobeError('STARTTLS_UNAVAILABLE', message, details);
export const serverClosed = (message: string, details?: ErrorDetails) =>
  new MailprobeError('SERVER_CLOSED', message, details);
export type TimeoutCode = 'CONNECT_TIMEOUT' | 'GREETING_TIMEOUT' | 'TLS_TIMEOUT' | 'REPLY_TIMEOUT';
export const timeoutError = (code: TimeoutCode, message: string, details?: ErrorDetails) => new MailprobeError(code, message, details);
export const isTimeout = (error: unknown): boolean => error instanceof MailprobeError && error.exitCode === EXIT_CODES.CONNECT_TIMEOUT && error.code.endsWith('_TIMEOUT');
export const credentialsRefused = (message: string, hint: string) => new MailprobeError('CREDENTIALS_REFUSED', message, { hint });

/** What went wrong, in words, for anything thrown (an Error or not). */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
