// --script FILE: lines as the interactive session would send them, plus expectations
// about the reply to the line before — EXPECT 250, EXPECT-NOT 5, EXPECT /regex/ — and
// comments starting with "#". A failed expectation stops the script with exit code 2.
import { MailprobeError } from '../errors.js';
import type { ProtocolSpec, Reply } from '../protocols/types.js';

export { QUIT_STAGES, type QuitStage } from '../client/options.js';

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

/** Does the reply meet the expectation? A plain pattern is a prefix of the status (case-insensitive). */
export function meets(expectation: Extract<ScriptLine, { kind: 'expect' }>, protocol: ProtocolSpec, reply: Reply | undefined): boolean {
  if (!reply) return expectation.negate;
  const matched = expectation.regex
    ? reply.lines.some((line) => expectation.regex?.test(line.text))
    : protocol.replyStatus(reply).toUpperCase().startsWith(expectation.pattern.toUpperCase());
  return expectation.negate ? !matched : matched;
}

/**
 * A script line that is an expectation, checked against the last reply: the error that
 * ends the script when it is not met, else undefined (also for a line that is no expectation).
 */
export function unmetExpectation(parsed: ScriptLine, line: string, lineNumber: number, protocol: ProtocolSpec, last: Reply | undefined): MailprobeError | undefined {
  if (parsed.kind !== 'expect' || meets(parsed, protocol, last)) return undefined;
  const got = last ? last.lines.map((l) => l.text).join(' / ') : 'no reply yet';
  return new MailprobeError('EXPECTATION_FAILED', `script line ${lineNumber}: ${line.trim()} was not met; the server answered: ${got}`);
}
