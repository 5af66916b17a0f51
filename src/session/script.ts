// --script FILE: lines as the interactive session would send them, plus expectations
// about the reply to the line before — EXPECT 250, EXPECT-NOT 5, EXPECT /regex/ — and
// comments starting with "#". A failed expectation stops the script with exit code 2.
import { MailprobeError } from '../errors.js';
import { parseImapLine } from '../protocols/imap/response.js';
import type { ProtocolName, Reply } from '../protocols/types.js';

export type ScriptLine =
  | { kind: 'comment' }
  | { kind: 'expect'; negate: boolean; pattern: string; regex?: RegExp }
  | { kind: 'send'; line: string };

export function parseScriptLine(line: string): ScriptLine {
  const trimmed = line.trim();
  if (trimmed === '' ) return { kind: 'send', line };
  if (trimmed.startsWith('#')) return { kind: 'comment' };
  const match = /^EXPECT(-NOT)?\s+(.+)$/i.exec(trimmed);
  if (!match) return { kind: 'send', line };
  const pattern = match[2].trim();
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (regex) {
    try {
      return { kind: 'expect', negate: !!match[1], pattern, regex: new RegExp(regex[1], regex[2]) };
    } catch (error) {
      throw new MailprobeError('USAGE', `bad regular expression in the script: ${pattern}: ${(error as Error).message}`);
    }
  }
  return { kind: 'expect', negate: !!match[1], pattern };
}

/** The status word of a reply's last line: SMTP code, +OK/-ERR, IMAP OK/NO/BAD (tag stripped), sieve OK/NO/BYE. */
export function replyStatus(protocol: ProtocolName, reply: Reply): string {
  const text = reply.last.text;
  if (protocol === 'imap') {
    const parts = parseImapLine(text);
    return parts.kind === 'continuation' ? `+ ${parts.rest}` : `${parts.status ?? ''} ${parts.rest}`.trim();
  }
  return text;
}

/** Does the reply meet the expectation? A plain pattern is a prefix of the status (case-insensitive). */
export function meets(expectation: Extract<ScriptLine, { kind: 'expect' }>, protocol: ProtocolName, reply: Reply | undefined): boolean {
  if (!reply) return expectation.negate;
  const matched = expectation.regex
    ? reply.lines.some((line) => expectation.regex?.test(line.text))
    : replyStatus(protocol, reply).toUpperCase().startsWith(expectation.pattern.toUpperCase());
  return expectation.negate ? !matched : matched;
}

export const QUIT_STAGES = ['connect', 'banner', 'tls', 'ehlo', 'auth', 'mail', 'rcpt', 'data'] as const;
export type QuitStage = (typeof QUIT_STAGES)[number];

/** Which --quit-after stage a reply to `command` completes, if it succeeded. */
export function stageOf(command: string, reply: Reply, protocol: ProtocolName): QuitStage | undefined {
  const words = command.trim().split(/\s+/);
  const verb = (protocol === 'imap' ? words[1] : words[0])?.toUpperCase() ?? '';
  const status = replyStatus(protocol, reply);
  const ok = /^(2\d\d|\+OK|OK)/i.test(status);
  if (command === '' && ok) return 'banner';
  if (!ok) return undefined;
  if (verb === 'EHLO' || verb === 'LHLO' || verb === 'HELO' || verb === 'CAPABILITY' || verb === 'CAPA') return 'ehlo';
  if (verb === 'AUTH' || verb === 'AUTHENTICATE' || verb === 'LOGIN' || verb === 'PASS') return 'auth';
  if (verb === 'MAIL') return 'mail';
  if (verb === 'RCPT') return 'rcpt';
  if (command === '.') return 'data';
  return undefined;
}
