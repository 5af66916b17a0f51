// PostgreSQL wire messages (protocol 3.0, "Frontend/Backend Protocol" chapter of the
// PostgreSQL docs): the few the client sends — SSLRequest, StartupMessage, Terminate — and
// readable renderings of what the server answers. Server messages are one type byte, an
// int32 length that counts itself, and a body; the client's first messages have no type byte.
import type { Tone } from '../types.js';

/** SSLRequest's code: 1234 in the high 16 bits, 5679 in the low (§ "SSL Session Encryption"). */
export const SSL_REQUEST_CODE = 80877103;
/** Protocol version 3.0 as StartupMessage writes it. */
export const PROTOCOL_3_0 = 196608;

const S = 0x53;
const N = 0x4e;
const E = 0x45;
export const SSL_ANSWER = { accepted: S, refused: N, error: E } as const;

/** The 8-byte SSLRequest: length 8, code 80877103. */
export function sslRequest(): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeInt32BE(8, 0);
  bytes.writeInt32BE(SSL_REQUEST_CODE, 4);
  return bytes;
}

/** A StartupMessage for protocol 3.0: user, database (the same name, as psql defaults), application name. */
export function startupMessage(user: string): Buffer {
  const pairs = ['user', user, 'database', user, 'application_name', 'mailprobe'];
  const body = Buffer.concat([...pairs.map((s) => Buffer.from(`${s}\0`, 'utf8')), Buffer.from([0])]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(PROTOCOL_3_0, 4);
  return Buffer.concat([head, body]);
}

/** Terminate ('X', length 4): the polite goodbye once a session is ready for queries. */
export function terminate(): Buffer {
  return Buffer.from([0x58, 0, 0, 0, 4]);
}

/** Is this client message an SSLRequest, a StartupMessage (both have no type byte), or neither? */
export function clientMessageKind(bytes: Buffer): 'ssl-request' | 'startup' | 'other' {
  if (bytes.length < 8 || bytes.readInt32BE(0) !== bytes.length) return 'other';
  const code = bytes.readInt32BE(4);
  if (code === SSL_REQUEST_CODE && bytes.length === 8) return 'ssl-request';
  return code === PROTOCOL_3_0 ? 'startup' : 'other';
}

/** The NUL-terminated strings of a body, from `at`; a missing NUL ends the last one. */
function cStrings(body: Buffer, at = 0): string[] {
  const out: string[] = [];
  while (at < body.length) {
    let end = body.indexOf(0, at);
    if (end < 0) end = body.length;
    out.push(body.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}

/** ErrorResponse and NoticeResponse fields: one code byte, a string; a 0 byte ends them. */
export function responseFields(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < body.length && body[at] !== 0) {
    const code = String.fromCharCode(body[at]);
    let end = body.indexOf(0, at + 1);
    if (end < 0) end = body.length;
    if (!fields.has(code)) fields.set(code, body.toString('utf8', at + 1, end));
    at = end + 1;
  }
  return fields;
}

/** "FATAL 28000: role "x" does not exist" (severity, SQLSTATE, message; detail and hint after). */
export function describeResponse(body: Buffer): string {
  const f = responseFields(body);
  const severity = f.get('V') ?? f.get('S') ?? '?';
  const head = `${severity}${f.has('C') ? ` ${f.get('C')}` : ''}: ${f.get('M') ?? '(no message)'}`;
  return [head, f.has('D') ? `detail: ${f.get('D')}` : '', f.has('H') ? `hint: ${f.get('H')}` : ''].filter(Boolean).join('; ');
}

/** Authentication request codes (the int32 after R). */
const AUTH_NAMES: Readonly<Record<number, string>> = {
  0: 'AuthenticationOk',
  2: 'AuthenticationKerberosV5',
  3: 'AuthenticationCleartextPassword',
  5: 'AuthenticationMD5Password',
  7: 'AuthenticationGSS',
  8: 'AuthenticationGSSContinue',
  9: 'AuthenticationSSPI',
  10: 'AuthenticationSASL',
  11: 'AuthenticationSASLContinue',
  12: 'AuthenticationSASLFinal',
};

/** The authentication code of an R message, or undefined when the body is too short. */
export function authCode(body: Buffer): number | undefined {
  return body.length >= 4 ? body.readInt32BE(0) : undefined;
}

function describeAuth(body: Buffer): string {
  const code = authCode(body);
  if (code === undefined) return 'Authentication (malformed: no request code)';
  const name = AUTH_NAMES[code] ?? `Authentication request ${code} (unknown)`;
  if (code === 0) return `${name}: no password needed`;
  if (code === 3) return `${name}: the server asks for the password in cleartext (mailprobe sends none)`;
  if (code === 5) return `${name}: the server asks for an MD5 password hash (mailprobe sends none)`;
  // SASL: the mechanisms, each NUL-terminated, an empty string after the last.
  if (code === 10) return `${name}: mechanisms ${cStrings(body, 4).filter(Boolean).join(', ') || '(none)'} (mailprobe sends no password)`;
  return name;
}

const READY_STATUS: Readonly<Record<string, string>> = { I: 'idle', T: 'in a transaction', E: 'in a failed transaction' };

/** A readable rendering of one server message and its tone. */
export function describeServerMessage(type: number, body: Buffer): { shown: string; tone: Tone } {
  const t = String.fromCharCode(type);
  switch (t) {
    case 'R': {
      const code = authCode(body);
      return { shown: `R ${describeAuth(body)}`, tone: code === 0 ? 'ok' : code === undefined ? 'malformed' : 'intermediate' };
    }
    case 'E':
      return { shown: `E ErrorResponse ${describeResponse(body)}`, tone: 'permfail' };
    case 'N':
      return { shown: `N NoticeResponse ${describeResponse(body)}`, tone: 'info' };
    case 'S': {
      const [name = '', value = ''] = cStrings(body);
      return { shown: `S ParameterStatus ${name}=${value}`, tone: 'info' };
    }
    case 'K':
      // The key cancels queries of this backend: not shown.
      return { shown: `K BackendKeyData (process ${body.length >= 4 ? body.readInt32BE(0) : '?'})`, tone: 'info' };
    case 'Z':
      return { shown: `Z ReadyForQuery (${READY_STATUS[body.toString('latin1', 0, 1)] ?? 'unknown status'})`, tone: 'ok' };
    case 'v':
      return { shown: `v NegotiateProtocolVersion (newest minor version ${body.length >= 4 ? body.readInt32BE(0) : '?'})`, tone: 'info' };
    default:
      return { shown: `${t} message (${body.length} bytes)`, tone: 'info' };
  }
}
