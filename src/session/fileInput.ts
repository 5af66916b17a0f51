// Standard input when it is a regular file (`mailprobe ... < message.eml`), read in 1 MB
// pieces into buffers that are used again. Node's own file stream reads each piece into a
// new buffer, and memory a process touches for the first time is dear: on a VM a 100 MB
// message read that way spent more time faulting its buffers in than reading them. A
// buffer comes back through `recycle` once its reader has copied out all it wanted
// (LineInput does, for what it stages or cuts into lines); one that is never given back
// is left to the collector like any other.
import { read } from 'node:fs';
import { Readable } from 'node:stream';

/** Bytes read at once: a trip to the thread pool per piece, so not too few. */
export const FILE_PIECE_BYTES = 1 << 20;
/** Buffers kept for reuse: the pieces read ahead (Readable's mark), one being taken, one spare. */
const KEEP = 4;

export class FileInput extends Readable {
  private readonly free: Buffer[] = [];
  /** The memory of every buffer this stream made: only those come back. */
  private readonly own = new WeakSet<ArrayBufferLike>();

  constructor(private readonly fd: number) {
    // One piece read ahead: what has been read and not taken yet waits with the reader.
    super({ highWaterMark: FILE_PIECE_BYTES });
  }

  override _read(): void {
    const buffer = this.free.pop() ?? this.fresh();
    // Position null: from where the descriptor stands, as a shell's `<` leaves it.
    read(this.fd, buffer, 0, FILE_PIECE_BYTES, null, (error, bytes) => {
      if (error) return this.destroy(error);
      if (bytes === 0) {
        this.recycle(buffer.buffer);
        this.push(null);
        return;
      }
      this.push(buffer.subarray(0, bytes));
    });
  }

  private fresh(): Buffer {
    const buffer = Buffer.allocUnsafeSlow(FILE_PIECE_BYTES);
    this.own.add(buffer.buffer);
    return buffer;
  }

  /**
   * The piece read into `memory` is no longer looked at by anyone: its buffer may be read
   * into again. Only the owner of every view of it may say so.
   */
  recycle(memory: ArrayBufferLike): void {
    if (this.free.length < KEEP && this.own.has(memory)) this.free.push(Buffer.from(memory));
  }
}
