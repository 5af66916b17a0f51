// The part every protocol's framer shares: a LineSplitter, and turning its raw lines into
// ServerLines through the protocol's own classifier.
import { LineSplitter, type RawLine } from './lineSplitter.js';
import { literalLength } from './literal.js';
import type { ServerLine } from './types.js';

export abstract class FramerBase {
  protected readonly splitter: LineSplitter;

  constructor(maxLine?: number) {
    this.splitter = new LineSplitter(maxLine);
  }

  push(chunk: Buffer): ServerLine[] {
    this.splitter.feed(chunk);
    const out: ServerLine[] = [];
    for (let raw = this.splitter.next(); raw; raw = this.splitter.next()) out.push(this.classify(raw));
    return out;
  }

  pendingBytes(): number {
    return this.splitter.pending();
  }

  takePartial(): ServerLine | undefined {
    const raw = this.splitter.takePartial();
    return raw ? this.classify(raw) : undefined;
  }

  drain(): Buffer {
    return this.splitter.drain();
  }

  inContent(): boolean {
    return false;
  }

  protected abstract classify(raw: RawLine): ServerLine;

  /**
   * IMAP and ManageSieve: a complete line ending in {n} announces n bytes of literal data.
   * Returns the line's text, or undefined when the piece carries no protocol meaning of
   * its own (literal data, or the tail of a line already partly handed out).
   */
  protected literalAware(raw: RawLine): string | undefined {
    if (raw.literal) return undefined;
    const text = raw.bytes.toString('latin1');
    if (raw.ending !== 'none') {
      const literal = literalLength(text);
      if (literal !== undefined && literal > 0) this.splitter.expectLiteral(literal);
    }
    return raw.start ? text : undefined;
  }

  /** A line's tail (or literal data) carries no protocol meaning of its own. */
  protected plain(raw: RawLine, tone: ServerLine['tone'] = 'info', final = false): ServerLine {
    return {
      bytes: raw.bytes,
      text: raw.bytes.toString('latin1'),
      ending: raw.ending,
      tone: raw.literal ? 'literal' : tone,
      final,
      continued: raw.continued || undefined,
      literal: raw.literal || undefined,
    };
  }
}

/** The first word of a command line, upper-cased. */
export function verbOf(line: string): string {
  return (line.trimStart().split(/[\s]/, 1)[0] ?? '').toUpperCase();
}
