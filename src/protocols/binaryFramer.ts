// The part every framer of a binary protocol shares (PostgreSQL messages, MySQL packets):
// bytes queue up in the chunks they came in, and the protocol cuts whole messages off the
// front once a length prefix says they are all there. Nothing is copied until a message is
// whole, so a message that arrives one byte at a time costs one copy, not one per byte.
// Each message becomes one ServerLine (ending 'none', bytes exactly as on the wire, so
// injection evidence and the transcript keep them) with a readable rendering in `shown`.
import type { ServerLine, Tone } from './types.js';

export class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The first `n` bytes (n ≤ length), left in the queue. */
  peek(n: number): Buffer {
    if (this.chunks[0] && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const whole = Buffer.concat(this.chunks);
    this.chunks = [whole];
    return whole.subarray(0, n);
  }

  /** Removes and returns the first `n` bytes (n ≤ length). */
  take(n: number): Buffer {
    const out = Buffer.from(this.peek(n));
    const first = this.chunks[0];
    this.chunks[0] = first.subarray(n);
    if (this.chunks[0].length === 0) this.chunks.shift();
    this.size -= n;
    return out;
  }

  /** Removes and returns everything. */
  drain(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    return all;
  }
}

/** One binary message as a ServerLine: the wire's bytes, shown as `shown`. */
export function messageLine(bytes: Buffer, shown: string, tone: Tone, final: boolean): ServerLine {
  return { bytes, text: bytes.toString('latin1'), ending: 'none', tone, final, shown };
}

/**
 * After a malformed length the stream cannot be followed again: what comes next is cut in
 * pieces of this size at fixed offsets (the same pieces whatever the chunking), shown as
 * unread; less than a piece stays pending.
 */
export const UNREAD_PIECE = 4096;

/** The next piece of a stream that can no longer be framed, if a whole piece is there. */
export function unreadPiece(queue: ByteQueue, what: string): ServerLine | undefined {
  if (queue.length < UNREAD_PIECE) return undefined;
  return messageLine(queue.take(UNREAD_PIECE), `${UNREAD_PIECE} more bytes after a malformed ${what}, not read`, 'malformed', true);
}

export abstract class BinaryFramer {
  protected readonly queue = new ByteQueue();

  push(chunk: Buffer): ServerLine[] {
    this.queue.push(chunk);
    const out: ServerLine[] = [];
    for (let line = this.next(); line; line = this.next()) out.push(line);
    return out;
  }

  /** The next whole message at the front of the queue, taken off it; none until one is whole. */
  protected abstract next(): ServerLine | undefined;

  /** No line session: text lines are never sent, so none is owed a reply. */
  sent(): number {
    return 0;
  }

  inContent(): boolean {
    return false;
  }

  pendingBytes(): number {
    return this.queue.length;
  }

  /** Half a binary message means nothing shown alone: it stays until it is whole. */
  takePartial(): ServerLine | undefined {
    return undefined;
  }

  drain(): Buffer {
    return this.queue.drain();
  }
}
