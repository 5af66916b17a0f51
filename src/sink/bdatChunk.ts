// One BDAT chunk as the sink reads it (RFC 3030): exactly its size in bytes, whatever they
// are — no dot, no line ends. A chunk refused at its command (no transaction, no recipients)
// is still read, so its bytes are not taken for commands, and its reply is the refusal.
import type { ContentSink } from './dotDecoder.js';

export class BdatChunk {
  private left: number;

  constructor(
    readonly size: number,
    readonly last: boolean,
    /** The reply for a chunk that has no transaction to go to. */
    readonly error?: string,
  ) {
    this.left = size;
  }

  /** Takes what `input` holds of the chunk, handing its bytes to `content` unless refused; returns the bytes taken. */
  read(input: Buffer, content: ContentSink): number {
    const take = Math.min(this.left, input.length);
    if (!this.error) content(input, 0, take);
    this.left -= take;
    return take;
  }

  get complete(): boolean {
    return this.left === 0;
  }
}
