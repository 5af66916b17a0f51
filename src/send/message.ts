// The message `mailprobe send` builds from its flags, as swaks does: default headers
// (Date, From, To, Subject, Message-ID, X-Mailer), each replaced by a --header of the same
// name, a text body, and with --attach a multipart/mixed message (RFC 2046 §5.1.3) whose
// attachments are base64 in 76-character lines (RFC 2045 §6.8). Pure: files are read by
// the caller. Every line ends in CRLF; no bare LF or CR survives.
import { randomBytes } from 'node:crypto';
import { usageError } from '../errors.js';
import { domainOf, rfc5322Date } from '../protocols/testMessage.js';

export interface Attachment {
  /** The file name shown to the recipient (no directory). */
  name: string;
  bytes: Buffer;
  /** Default: from the file name's extension (contentTypeOf). */
  type?: string;
}

export interface MessageSpec {
  from: string;
  to: string[];
  /** "Name: value" lines from --header, in the order given. */
  headers: string[];
  /** The body text; swaks' "This is a test mailing" when none is given. */
  body?: string;
  attachments: Attachment[];
  date?: Date;
  /** For tests: the multipart boundary and Message-ID are otherwise random. */
  random?: () => string;
}

export const DEFAULT_BODY = 'This is a test mailing\r\n';

/** A small table: the types a test message is likely to carry. Anything else is octet-stream. */
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['txt', 'text/plain'],
  ['log', 'text/plain'],
  ['csv', 'text/csv'],
  ['htm', 'text/html'],
  ['html', 'text/html'],
  ['ics', 'text/calendar'],
  ['xml', 'application/xml'],
  ['json', 'application/json'],
  ['pdf', 'application/pdf'],
  ['zip', 'application/zip'],
  ['gz', 'application/gzip'],
  ['doc', 'application/msword'],
  ['docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['svg', 'image/svg+xml'],
  ['webp', 'image/webp'],
  ['eml', 'message/rfc822'],
]);

export const OCTET_STREAM = 'application/octet-stream';

export function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot > 0 && CONTENT_TYPES.get(name.slice(dot + 1).toLowerCase())) || OCTET_STREAM;
}

/** A header field from --header: "Name: value", the name printable ASCII without a colon. */
export function parseHeader(text: string): { name: string; value: string } {
  const match = /^([!-9;-~]+):[ \t]*(.*)$/s.exec(text);
  if (!match) throw usageError(`--header "${text}" is not "Name: value"`);
  // A CR or LF would start a header (or the body) of its own: header injection.
  if (/[\r\n]/.test(match[2])) throw usageError(`--header ${match[1]} contains a line break`, 'give each header with its own --header');
  return { name: match[1], value: match[2] };
}

/** RFC 5322 line endings for text given with any: CRLF, and one at the end. */
export function crlf(text: string): string {
  const lines = text.replace(/\r\n|\r|\n/g, '\r\n');
  return lines === '' || lines.endsWith('\r\n') ? lines : `${lines}\r\n`;
}

/** Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 §6.8). */
export function base64Lines(bytes: Buffer): string {
  const text = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < text.length; i += 76) out += `${text.slice(i, i + 76)}\r\n`;
  return out;
}

const ASCII = /^[\x20-\x7e]*$/;

/** A filename parameter: quoted when ASCII, RFC 2231 UTF-8 percent-encoding otherwise. */
export function filenameParameter(key: 'name' | 'filename', name: string): string {
  if (ASCII.test(name)) return `${key}="${name.replace(/["\\]/g, '\\$&')}"`;
  const encoded = [...Buffer.from(name, 'utf8')].map((b) => (/[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  return `${key}*=utf-8''${encoded}`;
}

function textHeaders(body: string): string[] {
  return ['Content-Type: text/plain; charset=utf-8', `Content-Transfer-Encoding: ${ASCII.test(body.replace(/\r\n/g, '')) ? '7bit' : '8bit'}`];
}

export function buildMessage(spec: MessageSpec): Buffer {
  const random = spec.random ?? (() => randomBytes(12).toString('hex'));
  const date = spec.date ?? new Date();
  const domain = domainOf(spec.from) ?? 'localhost';
  const headers: { name: string; value: string }[] = [
    { name: 'Date', value: rfc5322Date(date) },
    { name: 'To', value: spec.to.join(', ') },
    { name: 'From', value: spec.from },
    { name: 'Subject', value: `test ${rfc5322Date(date)}` },
    { name: 'Message-Id', value: `<${date.getTime().toString(36)}.${random()}@${domain}>` },
    { name: 'X-Mailer', value: 'mailprobe' },
  ];
  for (const given of spec.headers.map(parseHeader)) {
    const same = headers.findIndex((header) => header.name.toLowerCase() === given.name.toLowerCase());
    if (same >= 0) headers[same] = given;
    else headers.push(given);
  }
  const body = crlf(spec.body ?? DEFAULT_BODY);
  const given = new Set(headers.map((header) => header.name.toLowerCase()));
  const top = headers.map(({ name, value }) => `${name}: ${value}`);
  if (!given.has('mime-version')) top.push('MIME-Version: 1.0');
  if (spec.attachments.length === 0) {
    // A Content-Type of the user's own replaces ours (swaks' --header habit).
    const typeGiven = given.has('content-type') || given.has('content-transfer-encoding');
    return Buffer.from([...top, ...(typeGiven ? [] : textHeaders(body)), '', body].join('\r\n'), 'utf8');
  }
  const parts = [
    [...textHeaders(body), '', body].join('\r\n'),
    ...spec.attachments.map((file) =>
      [
        `Content-Type: ${file.type ?? contentTypeOf(file.name)}; ${filenameParameter('name', file.name)}`,
        `Content-Disposition: attachment; ${filenameParameter('filename', file.name)}`,
        'Content-Transfer-Encoding: base64',
        '',
        base64Lines(file.bytes),
      ].join('\r\n'),
    ),
  ];
  // The boundary must appear in no part (RFC 2046 §5.1.1); "=_" never occurs in base64.
  let boundary: string;
  do boundary = `=_mailprobe_${random()}`;
  while (parts.some((part) => part.includes(boundary)));
  const typed = top.filter((line) => !/^content-(type|transfer-encoding):/i.test(line));
  const lines = [
    ...typed,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    'This is a multi-part message in MIME format.',
    ...parts.map((part) => `--${boundary}\r\n${part}`),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
