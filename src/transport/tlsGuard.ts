// A stream between the TCP socket and TLS that checks the first bytes the server sends
// after TLS starts are a TLS record. Node would complete the handshake even with
// plaintext waiting in its buffer, and bytes that come later only fail as "wrong version
// number" and are lost; here they are kept so the user can see exactly what was injected.
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

/** At most this much of a non-TLS answer is kept for the report. */
const KEEP_BYTES = 4096;

export class TlsRecordGuard extends Duplex {
  /** Bytes that arrived where a TLS record was due; set once the guard has tripped. */
  notTls?: Buffer;
  private head = Buffer.alloc(0);
  private checked = false;
  /** Sees every chunk in both directions as it passes (the handshake tracer, -msg, -debug). */
  tap?: (direction: 'in' | 'out', chunk: Buffer) => void;

  constructor(private readonly raw: Socket) {
    super({ allowHalfOpen: false });
    raw.on('data', (chunk: Buffer) => this.onData(chunk));
    raw.on('end', () => this.push(null));
    raw.on('error', (err) => this.destroy(err));
    raw.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    this.tap?.('in', chunk);
    if (this.notTls) {
      if (this.notTls.length < KEEP_BYTES) this.notTls = Buffer.concat([this.notTls, chunk]).subarray(0, KEEP_BYTES);
      return;
    }
    if (!this.checked) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 3 && looksLikeTlsPrefix(this.head)) return;
      if (!looksLikeTlsPrefix(this.head)) {
        this.notTls = this.head.subarray(0, KEEP_BYTES);
        // Give the rest of the plaintext a moment to arrive, so the report shows it whole.
        setTimeout(() => this.destroy(new Error('plaintext where TLS was due')), 100);
        return;
      }
      this.checked = true;
      chunk = this.head;
    }
    if (!this.push(chunk)) this.raw.pause();
  }

  override _read(): void {
    this.raw.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.forward([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.forward(chunks.map((c) => c.chunk), callback);
  }

  /**
   * Hands TLS's records to the socket and reports them written as soon as the socket has
   * taken them (or, past its high-water mark, once it drains), not when the kernel has:
   * TLS then encrypts the next piece while these are still going out. A failed write
   * surfaces as the socket's error, which destroys this stream.
   */
  private forward(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    const raw = this.raw;
    if (this.tap) for (const chunk of chunks) this.tap('out', chunk);
    raw.cork();
    let room = true;
    for (const chunk of chunks) room = raw.write(chunk);
    raw.uncork();
    if (room) callback();
    else raw.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.raw.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.raw.destroy();
    callback(error);
  }
}

/** A TLS record starts with a content type 20-23 and version major 3 (RFC 8446 §5.1). */
export function looksLikeTlsPrefix(bytes: Buffer): boolean {
  if (bytes.length === 0) return true;
  if (bytes[0] < 0x14 || bytes[0] > 0x17) return false;
  if (bytes.length >= 2 && bytes[1] !== 0x03) return false;
  if (bytes.length >= 3 && bytes[2] > 0x04) return false;
  return true;
}

/** A whole TLS record header a server starts with: handshake or alert, version 3.x. */
export function looksLikeTlsRecord(chunk: Buffer): boolean {
  return chunk.length >= 3 && (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03 && chunk[2] <= 0x04;
}
