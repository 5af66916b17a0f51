// The part every protocol's framer shares: a LineSplitter, and turning its pieces into
// ServerLines. A line may arrive in pieces (cut at the length limit, or shown early when
// the server pauses mid-line); the protocol decides what a line means once it is whole,
// from its first bytes (codes, tags, status words) — so the same bytes in any chunking
// end the same replies.
import { LineSplitter, type RawLine } from './lineSplitter.js';
import { literalLength } from './literal.js';
import type { ServerLine, Tone } from './types.js';

/** What the protocol needs to see of a line: its start (codes, tags) and its end ({n}). */
const HEAD_CHARS = 64;
const TAIL_CHARS = 24;

export interface LineDecision {
  tone: Tone;
  /** The line completes a reply. */
  final: boolean;
}

export abstract class FramerBase {
  protected readonly splitter: LineSplitter;
  /** IMAP and ManageSieve: a line ending in {n} announces n bytes of literal data. */
  protected announcesLiterals = false;
  private head = '';
  private tail = '';

  /**
   * `headChars`: how much of a line's start the protocol needs to read it. 64 covers codes
   * and tags; IRC's command comes after a prefix of up to ~64 characters, and its 421's
   * command name after that.
   */
  constructor(
    maxLine?: number,
    private readonly headChars = HEAD_CHARS,
  ) {
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

  /** The tone of a line from its start, before it is whole (no state changes). */
  protected abstract toneOf(head: string): Tone;

  /** A whole line: its meaning, and any change to the protocol's state. */
  protected abstract decide(head: string): LineDecision;

  private classify(raw: RawLine): ServerLine {
    if (raw.literal) return this.line(raw, 'literal', false);
    const text = raw.bytes.toString('latin1');
    if (raw.start) {
      this.head = '';
      this.tail = '';
    }
    if (this.head.length < this.headChars) this.head = (this.head + text).slice(0, this.headChars);
    this.tail = (this.tail + text).slice(-TAIL_CHARS);
    if (raw.ending === 'none') return this.line(raw, this.toneOf(this.head), false);
    if (this.announcesLiterals) {
      const literal = literalLength(this.tail);
      if (literal !== undefined) {
        // The line goes on after the literal's data: it is not whole yet. The {n} is spent.
        this.splitter.expectLiteral(literal);
        this.tail = '';
        return this.line(raw, this.toneOf(this.head), false);
      }
    }
    const decision = this.decide(this.head);
    return this.line(raw, decision.tone, decision.final);
  }

  private line(raw: RawLine, tone: Tone, final: boolean): ServerLine {
    return {
      bytes: raw.bytes,
      text: raw.bytes.toString('latin1'),
      ending: raw.ending,
      tone,
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
