// Splits a byte stream into lines, in chunks of any size, holding at most `maxLine` bytes
// of an unfinished line: a longer one is handed out in pieces marked `continued`, so a
// server that never sends a line ending cannot make mailprobe buffer without bound.
// IMAP and ManageSieve literals ({n}) are passed through as raw pieces of exactly n bytes.

export const DEFAULT_MAX_LINE = 64 * 1024;

export interface RawLine {
  bytes: Buffer;
  ending: 'crlf' | 'lf' | 'none';
  /** An overlong line's piece, or the tail of a line whose start was already handed out. */
  continued: boolean;
  /** The piece starts a line (false for the tail of a line already partly handed out). */
  start: boolean;
  literal: boolean;
}

export class LineSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  private literalLeft = 0;
  /** The next line is the rest of one already partly handed out. */
  private resumed = false;

  constructor(private readonly maxLine = DEFAULT_MAX_LINE) {}

  feed(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** After a line announcing a literal: the next n bytes are raw data, and the line goes on after them. */
  expectLiteral(n: number): void {
    this.literalLeft = n;
    if (n === 0) this.resumed = true;
  }

  inLiteral(): boolean {
    return this.literalLeft > 0;
  }

  pending(): number {
    return this.buffer.length;
  }

  next(): RawLine | undefined {
    if (this.literalLeft > 0) return this.nextLiteralPiece();
    const lf = this.buffer.indexOf(0x0a);
    if (lf < 0 || lf > this.maxLine) {
      if (this.buffer.length <= this.maxLine) return undefined;
      return this.cut(this.maxLine, 'none', 0);
    }
    const crlf = lf > 0 && this.buffer[lf - 1] === 0x0d;
    return this.cut(crlf ? lf - 1 : lf, crlf ? 'crlf' : 'lf', crlf ? 2 : 1);
  }

  /** Hands out whatever is buffered as an unfinished line (for prompts without a line end). */
  takePartial(): RawLine | undefined {
    if (this.literalLeft > 0) return undefined;
    // A CR at the end stays: it may be the start of the line's CRLF.
    const length = this.buffer[this.buffer.length - 1] === 0x0d ? this.buffer.length - 1 : this.buffer.length;
    if (length === 0) return undefined;
    return this.cut(length, 'none', 0);
  }

  drain(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  private cut(length: number, ending: RawLine['ending'], endingLength: number): RawLine {
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length + endingLength);
    const start = !this.resumed;
    const continued = this.resumed || ending === 'none';
    this.resumed = ending === 'none';
    return { bytes: Buffer.from(bytes), ending, continued, start, literal: false };
  }

  private nextLiteralPiece(): RawLine | undefined {
    if (this.buffer.length === 0) return undefined;
    const window = this.buffer.subarray(0, Math.min(this.literalLeft, this.buffer.length));
    const lf = window.indexOf(0x0a);
    let take: number;
    let ending: RawLine['ending'] = 'none';
    let endingLength = 0;
    if (lf >= 0 && lf <= this.maxLine) {
      const crlf = lf > 0 && window[lf - 1] === 0x0d;
      take = crlf ? lf - 1 : lf;
      ending = crlf ? 'crlf' : 'lf';
      endingLength = crlf ? 2 : 1;
    } else if (window.length === this.literalLeft || window.length > this.maxLine) {
      take = Math.min(window.length, this.maxLine);
    } else {
      return undefined; // wait for more of the literal to show whole lines
    }
    const bytes = Buffer.from(this.buffer.subarray(0, take));
    this.buffer = this.buffer.subarray(take + endingLength);
    this.literalLeft -= take + endingLength;
    // The response line goes on after the literal, whatever the literal ended with.
    if (this.literalLeft === 0) this.resumed = true;
    return { bytes, ending, continued: false, start: false, literal: true };
  }
}
