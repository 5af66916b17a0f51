// Standard input when it is a regular file (`mailprobe ... < message.eml`) or a pipe or
// socket (`cat message.eml | mailprobe ...`), read into 1 MB buffers that are used again.
// Node's own streams read each piece into new memory, and memory a process touches for the
// first time is dear: on a VM a 100 MB message read that way spent more time faulting its
// buffers in than reading them. Each piece read is handed on as a view of its buffer, and
// comes back through `giveBack` once its reader has copied out all it wanted (LineInput
// does, for what it stages or cuts into lines); a buffer is read into again once it is full
// and all its pieces are back. A piece never given back leaves its buffer to the collector.
import { read } from 'node:fs';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { Readable } from 'node:stream';

/** The buffers' size: a regular file is read a buffer at a time (a trip to the thread pool each). */
export const PIECE_BYTES = 1 << 20;
/** A pipe gives at most its capacity per read (64 KB on Linux): a buffer with less room left is full. */
const LEAST_READ = 64 << 10;
/** Buffers kept for reuse. */
const KEEP = 4;

type OnRead = OnReadOpts & { buffer: () => Uint8Array };

interface Held {
  memory: Buffer;
  /** Pieces handed on and not given back yet. */
  out: number;
}

export class DescriptorInput extends Readable {
  private readonly free: Held[] = [];
  private readonly held = new WeakMap<Buffer, Held>();
  /** The buffer being read into; never free while it is. */
  private current?: Held;
  private filled = 0;
  /** A pipe or socket, read on the event loop into the buffers (Node's `onread`). */
  private stream?: Socket;

  /** `fromPipe`: fd is a pipe or socket, not a regular file. */
  constructor(private readonly fd: number, private readonly fromPipe = false) {
    // One buffer read ahead: what has been read and not taken yet waits with the reader.
    super({ highWaterMark: PIECE_BYTES });
  }

  override _read(): void {
    if (!this.fromPipe) return this.readFile();
    if (this.stream) this.stream.resume();
    else this.stream = this.readPipe();
  }

  /** A regular file: a buffer at a time, on the thread pool. */
  private readFile(): void {
    const held = this.room();
    const at = this.filled;
    // Position null: from where the descriptor stands, as a shell's `<` leaves it.
    read(this.fd, held.memory, at, PIECE_BYTES - at, null, (error, bytes) => {
      if (error) return this.destroy(error);
      if (bytes === 0) return this.end();
      this.hand(held, at, bytes);
    });
  }

  /**
   * A pipe or socket: the event loop reads what is there into the room left in the current
   * buffer; a push the reader has no room for pauses it until _read.
   */
  private readPipe(): Socket {
    let held: Held | undefined;
    let at = 0;
    const onread: OnRead = {
      buffer: () => {
        held = this.room();
        at = this.filled;
        return held.memory.subarray(at);
      },
      callback: (bytes) => (held ? this.hand(held, at, bytes) : true),
    };
    // Node's Socket takes `onread` (documented with socket.connect) whatever the handle.
    const stream = new Socket({ fd: this.fd, readable: true, writable: false, onread } as SocketConstructorOpts);
    stream.on('end', () => this.end());
    stream.on('error', (error) => this.destroy(error));
    return stream;
  }

  /** The buffer to read into next: the current one while it has room, else a free or new one. */
  private room(): Held {
    if (this.current && PIECE_BYTES - this.filled >= LEAST_READ) return this.current;
    this.full();
    this.current = this.free.pop() ?? { memory: Buffer.allocUnsafeSlow(PIECE_BYTES), out: 0 };
    this.filled = 0;
    return this.current;
  }

  /** `bytes` were read into `held` at `at`: handed on as a piece; false when the reader wants no more now. */
  private hand(held: Held, at: number, bytes: number): boolean {
    this.filled = at + bytes;
    const piece = held.memory.subarray(at, at + bytes);
    held.out++;
    this.held.set(piece, held);
    return this.push(piece);
  }

  private end(): void {
    this.full();
    this.push(null);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stream?.destroy();
    callback(error);
  }

  /** Nothing more is read into the current buffer: once its pieces are back, it is free. */
  private full(): void {
    const held = this.current;
    this.current = undefined;
    if (held) this.reuse(held);
  }

  private reuse(held: Held): void {
    if (held.out === 0 && held !== this.current && this.free.length < KEEP) this.free.push(held);
  }

  /** Nobody looks at `piece` (a piece this stream pushed, exactly) any more. */
  giveBack(piece: Buffer): void {
    const held = this.held.get(piece);
    if (!held) return;
    this.held.delete(piece);
    held.out--;
    this.reuse(held);
  }
}
