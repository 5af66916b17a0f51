// SMTP reply lines (RFC 5321 §4.2): three digits, then "-" for a continuation or " " (or
// nothing) on the last line of a reply.
import type { Reply, Tone } from '../types.js';

export interface ReplyLineParts {
  code: number;
  last: boolean;
  text: string;
}

export function parseReplyLine(line: string): ReplyLineParts | undefined {
  const match = /^([2-5]\d\d)([ -]|$)(.*)$/s.exec(line);
  if (!match) return undefined;
  return { code: Number(match[1]), last: match[2] !== '-', text: match[3] };
}

export function toneOfCode(code: number): Tone {
  if (code >= 500) return 'permfail';
  if (code >= 400) return 'tempfail';
  if (code >= 300) return 'intermediate';
  return 'ok';
}

/** The reply code of a complete reply, or 0 when the server broke the format. */
export function replyCode(reply: Reply): number {
  return parseReplyLine(reply.last.text)?.code ?? 0;
}

/** All the reply's text, one line per server line, for error messages. */
export function replyText(reply: Reply): string {
  return reply.lines.map((line) => line.text).join('\n');
}
