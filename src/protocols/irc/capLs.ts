// The answer to CAP LS (IRCv3 capability negotiation): one or more lines
//   :server CAP * LS * :multi-prefix sasl        ("*" before the list: more lines follow)
//   :server CAP * LS :tls                        (the last line)
// A server that implements STARTTLS lists "tls" in it. InspIRCd 3 without its starttls
// module lists no tls and then says nothing at all to STARTTLS (an unregistered client's
// unknown commands are dropped, no 421), so the complete list is the only answer to read.
import { parseIrc } from './message.js';

export interface CapLsLine {
  tokens: string[];
  /** More CAP LS lines follow this one. */
  more: boolean;
}

/** The capability tokens of a CAP LS answer line; undefined for any other line. */
export function capLsLine(text: string): CapLsLine | undefined {
  const { command, params } = parseIrc(text);
  if (command !== 'CAP' || (params[1] ?? '').toUpperCase() !== 'LS') return undefined;
  const more = params.length > 3 && params[2] === '*';
  return { tokens: (params.at(-1) ?? '').split(' ').filter(Boolean), more };
}

const namesTls = (token: string): boolean => token.split('=', 1)[0]?.toLowerCase() === 'tls';

/**
 * Follows a CAP LS answer line by line: `push` says, for each CAP LS line, whether the
 * answer goes on, or ended with or without tls listed.
 */
export class CapLsAnswer {
  private listedTls = false;

  push(text: string): 'more' | 'lists tls' | 'lacks tls' | undefined {
    const line = capLsLine(text);
    if (!line) return undefined;
    if (line.tokens.some(namesTls)) this.listedTls = true;
    if (line.more) return 'more';
    const outcome = this.listedTls ? 'lists tls' : 'lacks tls';
    this.listedTls = false;
    return outcome;
  }
}

/** Did these lines hold a complete CAP LS answer that does not list tls? */
export function capLsLacksTls(texts: string[]): boolean {
  const answer = new CapLsAnswer();
  return texts.some((text) => answer.push(text) === 'lacks tls');
}
