// Lines from a pipe or file. The bytes are kept as read and cut into lines only when a
// line is asked for (a CR before the LF is dropped: the session adds the line ending the
// user chose). Message content is taken as whole runs of lines, never split into lines
// in JavaScript (see lineScan.ts), which is what lets a 100 MB DATA go at the speed of the
// TLS connection. Reading pauses while much waits. Pieces of a DescriptorInput go back to
// it once nothing here looks at them, so that its buffers are read into again.
import type { Readable } from 'node:stream';
import { PIECE_BYTES, DescriptorInput } from './descriptorInput.js';
import { isDotLine, MAX_SCAN_BYTES, scanContent, withEndings, type ContentBatch, type ContentScan } from './lineScan.js';

const HIGH_WATER_BYTES = 8 << 20;
const LF = 0x0a;
const CR = 0x0d;

/** A run of message content lines, ready to send. */
export interface ContentRun {
  bytes: Buffer;
  lines: number;
}

export class LineInput {
  /** Bytes read and not yet taken: chunks[0] from `pos`, then the other chunks whole. Each
   * chunk ends with an LF, except a last line that input ended without one. */
  private chunks: Buffer[] = [];
  /** The start of a line whose LF has not been read yet. */
  private tail: Buffer[] = [];
  private pos = 0;
  private buffered = 0;
  ended = false;
  private paused = false;
  /** Reading pauses while this much waits (resumes below half). */
  private readonly highWater: number = HIGH_WATER_BYTES;
  /** A DescriptorInput's pieces are given back to it once no view of them is kept. */
  private readonly source?: DescriptorInput;
  /** The piece each view in `chunks` and `tail` shows part of (with a DescriptorInput). */
  private readonly pieceOf = new Map<Buffer, Buffer>();
  /** How many views of each piece are kept. */
  private readonly viewsOf = new Map<Buffer, number>();
  /** Pieces some of whose bytes were handed on as they are (takeContent): never given back. */
  private readonly handedOn = new Set<Buffer>();

  constructor(private readonly input: Readable, private readonly onChange: () => void) {
    if (input instanceof DescriptorInput) {
      this.source = input;
      // A file or pipe read into buffers used again: two buffers ahead keep it going.
      this.highWater = 2 * PIECE_BYTES;
    }
    input.on('data', (chunk: Buffer | string) => this.receive(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
    input.on('end', () => {
      if (this.tail.length > 0) this.chunks.push(Buffer.concat(this.tail));
      this.dropViews(this.tail);
      this.tail = [];
      this.ended = true;
      this.onChange();
    });
    input.on('error', () => {
      this.ended = true;
      this.onChange();
    });
  }

  private receive(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.buffered += chunk.length;
    const first = chunk.indexOf(LF);
    if (first === -1) {
      this.tail.push(this.view(chunk, 0, chunk.length));
    } else {
      // Only the line that straddles two reads is copied; the rest is kept as read.
      const last = chunk.lastIndexOf(LF);
      if (this.tail.length > 0) {
        this.chunks.push(Buffer.concat([...this.tail, chunk.subarray(0, first + 1)]));
        this.dropViews(this.tail);
        if (last > first) this.chunks.push(this.view(chunk, first + 1, last + 1));
      } else {
        this.chunks.push(this.view(chunk, 0, last + 1));
      }
      this.tail = last + 1 < chunk.length ? [this.view(chunk, last + 1, chunk.length)] : [];
    }
    // All of it copied into the joined line: nothing keeps it.
    if (this.source && !this.viewsOf.has(chunk)) this.source.giveBack(chunk);
    if (this.buffered > this.highWater && !this.paused) {
      this.paused = true;
      this.input.pause();
    }
    this.onChange();
  }

  /** Bytes start..end of `piece`, kept: counted, with a DescriptorInput, until dropped. */
  private view(piece: Buffer, start: number, end: number): Buffer {
    const view = start === 0 && end === piece.length ? piece : piece.subarray(start, end);
    if (this.source) {
      this.pieceOf.set(view, piece);
      this.viewsOf.set(piece, (this.viewsOf.get(piece) ?? 0) + 1);
    }
    return view;
  }

  /** These views are no longer kept: a piece with none left goes back to the DescriptorInput, unless handed on. */
  private dropViews(dropped: Buffer[]): void {
    if (!this.source) return;
    for (const view of dropped) {
      const piece = this.pieceOf.get(view);
      if (!piece) continue; // a copy (a joined line), not a view of a piece
      this.pieceOf.delete(view);
      const left = (this.viewsOf.get(piece) ?? 1) - 1;
      if (left > 0) {
        this.viewsOf.set(piece, left);
        continue;
      }
      this.viewsOf.delete(piece);
      if (!this.handedOn.delete(piece)) this.source.giveBack(piece);
    }
  }

  /** The index of the next LF in chunks[0]; -1 when no whole line is there (yet). */
  private nextNewline(): number {
    return this.chunks.length > 0 ? this.chunks[0].indexOf(LF, this.pos) : -1;
  }

  private advance(to: number): void {
    this.buffered -= to - this.pos;
    this.pos = to;
    if (this.pos >= this.chunks[0].length) {
      this.dropViews([this.chunks.shift() as Buffer]);
      this.pos = 0;
    }
    if (this.paused && this.buffered < this.highWater / 2) {
      this.paused = false;
      this.input.resume();
    }
  }

  /** A whole line waits (or the last one, without its LF, once input has ended). */
  hasLine(): boolean {
    return this.nextNewline() !== -1 || (this.ended && this.chunks.length > 0);
  }

  /** The next line, without taking it. */
  peek(): string | undefined {
    return this.line(false);
  }

  shift(): string | undefined {
    return this.line(true);
  }

  private line(take: boolean): string | undefined {
    const at = this.nextNewline();
    if (at === -1 && !(this.ended && this.chunks.length > 0)) return undefined;
    const head = this.chunks[0];
    const stop = at === -1 ? head.length : at;
    const end = stop > this.pos && head[stop - 1] === CR ? stop - 1 : stop;
    const text = head.toString('latin1', this.pos, end);
    if (take) this.advance(at === -1 ? head.length : at + 1);
    return text;
  }

  /**
   * Stages in `batch` the whole lines at the head that come before a line holding only "."
   * (at most about `limit` bytes in the batch), however many reads they came in; returns
   * how many. Stops before the ".", before a line that is not complete yet, and before a
   * line the batch has no room for.
   */
  stageContent(batch: ContentBatch, limit: number, ending: '\r\n' | '\n'): number {
    let lines = 0;
    for (;;) {
      const first = this.nextNewline();
      if (first === -1) break;
      const head = this.chunks[0];
      const start = this.pos;
      if (isDotLine(head, start)) break;
      // Whole lines up to `limit` and the room left.
      const wanted = Math.min(limit - batch.used, batch.room, MAX_SCAN_BYTES);
      const window = Math.min(head.length, start + wanted);
      const cut = window > first + 1 ? head.lastIndexOf(LF, window - 1) + 1 : first + 1;
      if (cut - start > wanted) break;
      const scanned = batch.add(head.subarray(start, cut), ending);
      this.advance(start + scanned.end);
      lines += scanned.lines;
      if (scanned.end < cut - start) break;
    }
    return lines;
  }

  /**
   * Takes the whole lines at the head of the first chunk that come before a line holding
   * only "." (at most about `limit` bytes, and at least one line), each ended with `ending`,
   * to send from where they were read: for a line longer than a batch, or when every batch
   * is still being sent. Undefined when the next line is the "." or is not complete yet.
   */
  takeContent(limit: number, ending: '\r\n' | '\n'): ContentRun | undefined {
    const first = this.nextNewline();
    if (first === -1) return undefined;
    const head = this.chunks[0];
    const start = this.pos;
    if (isDotLine(head, start)) return undefined;
    const crlf = ending === '\r\n';
    const window = Math.min(head.length, start + Math.min(limit, MAX_SCAN_BYTES));
    const cut = window > first + 1 ? head.lastIndexOf(LF, window - 1) + 1 : first + 1;
    const scanned: ContentScan =
      cut - start <= MAX_SCAN_BYTES
        ? scanContent(head.subarray(start, cut), crlf)
        : { end: cut - start, lines: 1, convert: (first > start && head[first - 1] === CR) !== crlf }; // one line longer than a region
    const lineStart = start + scanned.end;
    const region = head.subarray(start, lineStart);
    let bytes = region;
    if (scanned.convert) {
      const out = Buffer.allocUnsafe(region.length + scanned.lines);
      bytes = out.subarray(0, withEndings(region, ending, out));
    } else {
      const piece = this.pieceOf.get(head);
      if (piece) this.handedOn.add(piece);
    }
    this.advance(lineStart);
    return { bytes, lines: scanned.lines };
  }

  /** Everything read has been taken and nothing more will come. */
  done(): boolean {
    return this.ended && this.chunks.length === 0;
  }

  stop(): void {
    this.input.pause();
    this.input.removeAllListeners('data');
  }
}
