// The stages of `mailprobe send`, in order, and the exit code a failure at each gives.
// Where mailprobe already has a code that means the same (usage 2, DNS 3, connect 4,
// timeouts 5, TLS 6/7/8/10, a closed connection 9, AUTH 12, credentials held back 13) it is
// kept; the stages it has none for take swaks' numbers (21 banner, 22 EHLO, 23 MAIL,
// 24 RCPT, 25 DATA, 26 the message after the dot, 33 XCLIENT, 34 EHLO after XCLIENT), so
// scripts written for swaks still read.
import { MailprobeError, type ErrorCode } from '../errors.js';

export type SendStage = 'connect' | 'banner' | 'ehlo' | 'tls' | 'xclient' | 'xclient_ehlo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'message' | 'quit';

/** What each stage is called in messages. */
export const STAGE_NAMES: Record<SendStage, string> = {
  connect: 'connect',
  banner: 'banner',
  ehlo: 'EHLO',
  tls: 'TLS',
  xclient: 'XCLIENT',
  xclient_ehlo: 'EHLO after XCLIENT',
  auth: 'AUTH',
  mail: 'MAIL',
  rcpt: 'RCPT',
  data: 'DATA',
  message: 'end of DATA',
  quit: 'QUIT',
};

/** A refusal by the server at a stage mailprobe has no code of its own for. */
export const SEND_EXIT: Partial<Record<SendStage, number>> = {
  banner: 21,
  ehlo: 22,
  mail: 23,
  rcpt: 24,
  data: 25,
  message: 26,
  xclient: 33,
  xclient_ehlo: 34,
};

/** The stage a command line starts (by its verb); undefined for lines inside a stage. */
export function stageOfCommand(line: string): SendStage | undefined {
  const verb = line.split(' ', 1)[0].toUpperCase();
  if (verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO') return 'ehlo';
  if (verb === 'STARTTLS') return 'tls';
  if (verb === 'AUTH') return 'auth';
  if (verb === 'MAIL') return 'mail';
  if (verb === 'RCPT') return 'rcpt';
  if (verb === 'DATA') return 'data';
  if (line === '.') return 'message';
  if (verb === 'QUIT') return 'quit';
  return undefined;
}

/**
 * The exit code of an error at `stage`. Errors that say what went wrong by their own code
 * (TLS, DNS, timeouts, credentials) keep it; a server that refused the dialogue (PROTOCOL),
 * or closed it with a reply (421 in the banner), gives the stage's code.
 */
export function exitCodeAt(stage: SendStage, error: MailprobeError): number {
  const refused = error.code === 'PROTOCOL' || (error.code === 'SERVER_CLOSED' && error.reply !== undefined);
  return (refused && SEND_EXIT[stage]) || error.exitCode;
}

/** Errors that belong to one stage whatever was sent last (credentials are refused before AUTH goes out). */
const STAGE_OF_CODE: Partial<Record<ErrorCode, SendStage>> = {
  DNS: 'connect',
  CONNECT: 'connect',
  CONNECT_TIMEOUT: 'connect',
  TLS_HANDSHAKE: 'tls',
  TLS_TIMEOUT: 'tls',
  STARTTLS_UNAVAILABLE: 'tls',
  STARTTLS_INJECTION: 'tls',
  CERT_VERIFY: 'tls',
  CREDENTIALS_REFUSED: 'auth',
  AUTH_FAILED: 'auth',
};

export function stageOfError(error: MailprobeError, current: SendStage): SendStage {
  return STAGE_OF_CODE[error.code] ?? current;
}

/**
 * The core's hints speak the session's flags (-starttls smtp, -tls for implicit TLS); in
 * send, --tls is STARTTLS and --tlsc implicit TLS, so these say it in send's words.
 */
export function sendHint(error: MailprobeError): string | undefined {
  switch (error.code) {
    case 'STARTTLS_UNAVAILABLE':
      return 'leave out --tls to send in cleartext, or give --tlsc if this port expects TLS at once';
    case 'CREDENTIALS_REFUSED':
      return /cleartext/.test(error.message) ? 'use --tls (STARTTLS) or --tlsc (implicit TLS), or give --allow-plaintext-auth to send them anyway' : error.hint;
    case 'TLS_HANDSHAKE':
      if (/plaintext greeting/.test(error.message)) return 'this port speaks plaintext first: use --tls (STARTTLS) instead of --tlsc';
      if (/first bytes are a TLS record/.test(error.message)) return 'this port expects TLS from the start: use --tlsc';
      return error.hint;
    case 'GREETING_TIMEOUT':
      return 'if this port expects TLS from the start, use --tlsc; otherwise raise -timeout';
    default:
      return error.hint;
  }
}

/** README and --help: one line per code, in order. */
export const SEND_EXIT_LINES = [
  '0 the message was accepted (or --quit-after stopped the dialogue as asked)',
  '2 usage: bad flags, unreadable --body @file, --attach or --data file',
  '3 DNS: the server or the recipient domain\'s MX could not be found',
  '4 could not connect;  5 a timeout (-timeout)',
  '6 TLS handshake failed;  7 --tls but STARTTLS not offered or refused;  10 STARTTLS injection',
  '9 the server closed the connection',
  '12 AUTH refused;  13 credentials held back (cleartext, or a certificate that did not verify)',
  '21 banner refused;  22 EHLO/HELO/LHLO refused;  23 MAIL FROM refused;  24 RCPT TO refused',
  '25 DATA refused;  26 the message refused after the final dot (LMTP: by any recipient)',
  '33 XCLIENT not offered or refused (--xclient);  34 the EHLO after XCLIENT refused',
];
