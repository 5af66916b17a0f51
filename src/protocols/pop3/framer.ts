// POP3 framing (RFC 1939, RFC 2449): one status line per command, except the commands
// whose +OK is followed by a dot-terminated list.
import { FramerBase, verbOf } from '../framerBase.js';
import type { RawLine } from '../lineSplitter.js';
import type { Framer, ServerLine, Tone } from '../types.js';

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
  private readonly awaiting: boolean[] = [false];
  private inList = false;

  sent(line: string): number {
    this.awaiting.push(isMultiline(line));
    return 1;
  }

  protected classify(raw: RawLine): ServerLine {
    if (!raw.start) return this.plain(raw);
    const text = raw.bytes.toString('latin1');
    const whole = raw.ending !== 'none';
    if (this.inList) {
      const end = whole && text === '.';
      if (end) {
        this.inList = false;
        this.awaiting.shift();
      }
      return { bytes: raw.bytes, text, ending: raw.ending, tone: 'info', final: end, continued: raw.continued || undefined };
    }
    const tone = toneOfPop3(text);
    let final = whole;
    if (whole && tone === 'ok' && this.awaiting[0] === true) {
      this.inList = true;
      final = false;
    } else if (whole) {
      this.awaiting.shift();
    }
    return { bytes: raw.bytes, text, ending: raw.ending, tone, final, continued: raw.continued || undefined };
  }
}

export { verbOf };
