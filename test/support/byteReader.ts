// Reads a fake server's client bytes by count, for binary protocols (PostgreSQL, MySQL)
// whose messages have no line endings. Attach it when the handler starts (nothing has
// been read yet then) and again to the TLS socket after an upgrade.
import type { Socket } from 'node:net';

export class ByteReader {
  private buffer = Buffer.alloc(0);
  private waiting?: { n: number; resolve(bytes: Buffer): void; reject(error: Error): void };
  private closed = false;
  private socket?: Socket;
  /** Every byte received, in order, across upgrades. */
  all = Buffer.alloc(0);
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.all = Buffer.concat([this.all, chunk]);
    this.settle();
  };
  private readonly onClose = () => {
    this.closed = true;
    this.settle();
  };

  constructor(socket: Socket) {
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.detach();
    this.closed = false;
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
  }

  /**
   * Stops reading (before the socket is handed to TLS). Bytes read but not taken go back
   * to the socket: a client that sends its TLS ClientHello right behind a message (MySQL's
   * SSL request) may have it arrive in the same read, and TLS must still see it.
   */
  detach(): void {
    const socket = this.socket;
    if (!socket) return;
    socket.removeListener('data', this.onData);
    socket.removeListener('close', this.onClose);
    this.socket = undefined;
    if (this.buffer.length > 0) {
      // Paused, the bytes wait in the socket's buffer, where the TLS socket reads them first.
      socket.pause();
      socket.unshift(this.buffer);
      this.buffer = Buffer.alloc(0);
    }
  }

  /** The next `n` bytes; rejects with "client closed" if the client closes first. */
  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.settle();
    });
  }

  /** Resolves with what is left when the client closes (its goodbye, if any). */
  async untilClosed(): Promise<Buffer> {
    while (!this.closed) await new Promise((resolve) => setTimeout(resolve, 10));
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }

  private settle(): void {
    const w = this.waiting;
    if (!w) return;
    if (this.buffer.length >= w.n) {
      this.waiting = undefined;
      const out = this.buffer.subarray(0, w.n);
      this.buffer = this.buffer.subarray(w.n);
      w.resolve(out);
    } else if (this.closed) {
      this.waiting = undefined;
      w.reject(new Error('client closed'));
    }
  }
}
