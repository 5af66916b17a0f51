// IMAP response lines: "* ..." untagged, "+ ..." continuation, "tag OK|NO|BAD ..." tagged.
import type { Tone } from '../types.js';

export type ImapLineKind = 'untagged' | 'continuation' | 'tagged';

export interface ImapLineParts {
  kind: ImapLineKind;
  tag?: string;
  /** OK, NO, BAD, BYE, PREAUTH, CAPABILITY, ... upper-cased; undefined for continuations. */
  status?: string;
  rest: string;
}

export function parseImapLine(line: string): ImapLineParts {
  if (line === '+' || line.startsWith('+ ')) return { kind: 'continuation', rest: line.slice(2) };
  const match = /^(\S+) +(\S+)(?: +(.*))?$/s.exec(line);
  if (!match) return { kind: line.startsWith('*') ? 'untagged' : 'tagged', tag: line, rest: '' };
  const [, first, second, rest = ''] = match;
  if (first === '*') return { kind: 'untagged', status: second.toUpperCase(), rest };
  return { kind: 'tagged', tag: first, status: second.toUpperCase(), rest };
}

export function toneOfStatus(status: string | undefined): Tone {
  switch (status) {
    case 'OK':
    case 'PREAUTH':
      return 'ok';
    case 'NO':
      return 'tempfail';
    case 'BAD':
      return 'permfail';
    case 'BYE':
      return 'bye';
    default:
      return 'info';
  }
}

/** The [CAPABILITY ...] response code inside an OK, if any. */
export function capabilityCode(rest: string): string | undefined {
  const match = /^\[CAPABILITY ([^\]]*)\]/i.exec(rest);
  return match?.[1];
}
