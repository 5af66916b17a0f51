// FTP reply lines (RFC 959 §4.2): three digits, then " " on a one-line reply, or "-" on the
// first line of a multi-line reply, which ends at the first line that starts with the same
// three digits and a space. The lines between may say anything (FEAT's " AUTH TLS").
import type { Reply, Tone } from '../types.js';

export interface FtpLineParts {
  code: number;
  /** "ddd-": a multi-line reply starts. */
  opens: boolean;
}

export function parseFtpLine(line: string): FtpLineParts | undefined {
  const match = /^([1-5]\d\d)([ -]|$)/.exec(line);
  if (!match) return undefined;
  return { code: Number(match[1]), opens: match[2] === '-' };
}

/** Does this line close the multi-line reply opened with `code` ("211 End" after "211-")? */
export function closesMultiline(line: string, code: number): boolean {
  return line.startsWith(String(code)) && (line.length === 3 || line[3] === ' ');
}

/**
 * RFC 959 §4.2.1: 1xx preliminary, 2xx done, 3xx go on with another command, 4xx and 5xx
 * refused. A 3xx (331 "need password", 350 "pending further information") asks for a new
 * command, never for data of the same one: it is shown as an ok step, not as a
 * continuation — for a continuation the session would read the next typed line as an
 * answer to the server, and a PASS typed after 331 would escape the credential guard.
 * 1xx lines never end a reply (the command's real reply follows), so they may be cyan.
 */
export function toneOfFtp(code: number | undefined): Tone {
  if (code === undefined) return 'malformed';
  if (code === 221) return 'bye';
  if (code >= 500) return 'permfail';
  if (code >= 400) return 'tempfail';
  if (code >= 200) return 'ok';
  return 'intermediate';
}

/** The reply code of a complete reply (its last line), or 0 when the server broke the format. */
export function replyCode(reply: Reply): number {
  return parseFtpLine(reply.last.text)?.code ?? 0;
}

/** All the reply's text, one line per server line, for error messages. */
export function replyText(reply: Reply): string {
  return reply.lines.map((line) => line.text).join('\n');
}
