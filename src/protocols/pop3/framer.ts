// POP3 framing (RFC 1939, RFC 2449): one status line per command, except the commands
// whose +OK is followed by a dot-terminated list.
import { FramerBase, verbOf, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';

/** Commands answered by +OK and then lines up to a lone ".". */
export function isMultiline(line: string): boolean {
  const words = line.trim().split(/\s+/);
  const verb = (words[0] ?? '').toUpperCase();
  if (verb === 'CAPA' || verb === 'RETR' || verb === 'TOP') return true;
  // LIST, UIDL and AUTH answer with a list only when given no argument.
  return (verb === 'LIST' || verb === 'UIDL' || verb === 'AUTH') && words.length === 1;
}

export function toneOfPop3(text: string): Tone {
  if (text.startsWith('+OK')) return 'ok';
  if (text.startsWith('-ERR')) return 'permfail';
  if (text === '+' || text.startsWith('+ ')) return 'intermediate';
  return 'malformed';
}

export class Pop3Framer extends FramerBase implements Framer {
  /** Whether each awaited reply is multi-line, oldest first; the greeting is not. */
  private readonly awaiting: boolean[];
  private inList = false;

  constructor(maxLine?: number, greeting = true) {
    super(maxLine);
    this.awaiting = greeting ? [false] : [];
  }

  sent(line: string): number {
    this.awaiting.push(isMultiline(line));
    return 1;
  }

  protected toneOf(head: string): Tone {
    return this.inList ? 'info' : toneOfPop3(head);
  }

  protected decide(head: string): LineDecision {
    if (this.inList) {
      const end = head === '.';
      if (end) {
        this.inList = false;
        this.awaiting.shift();
      }
      return { tone: 'info', final: end };
    }
    const tone = toneOfPop3(head);
    if (tone === 'ok' && this.awaiting[0] === true) {
      this.inList = true;
      return { tone, final: false };
    }
    this.awaiting.shift();
    return { tone, final: true };
  }
}

export { verbOf };
