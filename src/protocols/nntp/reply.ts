// NNTP reply lines (RFC 3977 §3.2): a three-digit status code, a space, text. There are
// no continuation lines; a multi-line reply is a status line and then data lines up to a
// lone ".".
import type { Reply, Tone } from '../types.js';

/** The status code of a line, or undefined when the line is not "ddd" or "ddd text". */
export function statusCode(line: string): number | undefined {
  const match = /^([1-5]\d\d)(?: |$)/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/**
 * The 3xx codes after which the client's next line is data for the same command: a SASL
 * answer (383), or an article (340 POST, 335 IHAVE). 381 asks for a new command (AUTHINFO
 * PASS, which is a credential in its own right) and 382 for the TLS handshake, so neither
 * is a continuation: the session must read the line typed next as a command.
 */
const CONTINUATIONS: ReadonlySet<number> = new Set([383, 340, 335]);

/** RFC 3977 §3.2.1.1: 1xx informative, 2xx done, 3xx go on, 4xx and 5xx refused. */
export function toneOfNntp(code: number | undefined): Tone {
  if (code === undefined) return 'malformed';
  if (code === 205) return 'bye';
  if (code >= 500) return 'permfail';
  if (code >= 400) return 'tempfail';
  if (code >= 300) return CONTINUATIONS.has(code) ? 'intermediate' : 'ok';
  if (code >= 200) return 'ok';
  return 'info';
}

/** The status line of a complete reply (the first line: a multi-line reply ends in "."). */
export function statusLine(reply: Reply): string {
  return (reply.lines[0] ?? reply.last).text;
}

/** The status code of a complete reply, or 0 when the server broke the format. */
export function replyCode(reply: Reply): number {
  return statusCode(statusLine(reply)) ?? 0;
}

/** All the reply's text, one line per server line, for error messages. */
export function replyText(reply: Reply): string {
  return reply.lines.map((line) => line.text).join('\n');
}
