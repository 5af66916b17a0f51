// One client connection to the sink: the socket and an explicit state machine over how its
// bytes are read. What the commands mean is the session's (session.ts).
//
//   GREETING ──220──▶ LINES ◀───────────────┐   (commands, and AUTH responses)
//                      │ DATA ─354─▶ DATA ───┤ (CRLF.CRLF)
//                      │ BDAT n ───▶ BDAT ───┤ (n bytes)
//                      │ STARTTLS ─▶ STARTTLS┘ (TLS handshake on the same socket)
//                      └ QUIT / drop / shutdown ─▶ CLOSED
//
// Commands are read as fast as they come (pipelining); replies go out in order through the
// Outbox; they are gathered and leave in one write per connection at the end of the event
// loop's turn (writeBatch.ts), with the FIN after QUIT. Message bytes are counted and, with
// --save, streamed to a MessageFile as they come; reading stops while the outbox, the socket
// or the disk is behind.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { BdatChunk } from './bdatChunk.js';
import { CommandLines } from './commandLines.js';
import { DotDecoder } from './dotDecoder.js';
import { DiskBudget } from './messageFile.js';
import { Outbox, type OutboxOwner } from './outbox.js';
import { SHUTDOWN, SinkSession, type SinkContext, type SinkWire } from './session.js';

export type { SinkContext } from './session.js';

export type SinkState = 'GREETING' | 'LINES' | 'DATA' | 'BDAT' | 'STARTTLS' | 'CLOSED';

const EMPTY: Buffer = Buffer.alloc(0);
/** Stop reading a client that pipelines faster than the replies can go out. */
const MAX_BACKLOG = 256;

/** A reset is normal for a sink; 'close' follows. One listener for every socket. */
const ignoreError = (): void => {};

export class SinkConnection implements SinkWire, OutboxOwner {
  state: SinkState = 'GREETING';
  /** Set once the socket has closed; waiters (a stopping sink) are told then. */
  private ended = false;
  private endWaiters?: (() => void)[];
  readonly disk?: DiskBudget;
  private socket: Socket;
  private input: Buffer = EMPTY;
  private chunk?: BdatChunk;
  private readonly dot = new DotDecoder();
  private readonly lines = new CommandLines();
  private processing = false;
  /** Replies not yet written: they leave together at the end of the loop's turn. */
  private pending = '';
  /** This connection is in the batch to be written. */
  private batched = false;
  /** The close's last reply is in `pending`: the socket ends with it. */
  private ending = false;
  /** Bytes came or went since the listener's last idle tick. */
  private active = true;
  /** Idle ticks in a row with no bytes either way. */
  private idleTicks = 0;
  private paused = false;
  private readonly outbox: Outbox;
  private readonly session: SinkSession;

  constructor(
    socket: Socket,
    private readonly context: SinkContext,
    /** Called once the socket has closed: the listener's bookkeeping, one function for all its connections. */
    onClosed: (connection: SinkConnection) => void,
  ) {
    this.socket = socket;
    this.session = new SinkSession(this, context);
    this.outbox = new Outbox(this, context.options.delayMs);
    if (context.store) this.disk = new DiskBudget(() => this.resume());
    socket.on('close', () => {
      this.ended = true;
      this.session.closed();
      onClosed(this);
      if (this.endWaiters) for (const wake of this.endWaiters) wake();
    });
    socket.on('error', ignoreError);
    this.listen(socket);
    this.outbox.reply(this.session.greeting());
    // Written at once (no --delay, nothing queued): reading starts now, without a promise.
    if (this.outbox.idle) this.state = 'LINES';
    else {
      this.outbox.then(() => {
        if (this.state !== 'GREETING') return;
        this.state = 'LINES';
        this.process();
      });
    }
  }

  /**
   * The listener's idle watch, every `tickMs`: a connection with no bytes either way for
   * the idle limit gets 421 and is closed. (One timer for all connections instead of a
   * socket timeout each, which Node re-arms on every read and write.)
   */
  idleTick(tickMs: number): void {
    if (this.active) {
      this.active = false;
      this.idleTicks = 0;
      return;
    }
    // Activity just after the first quiet tick went unseen: count one tick more than the limit holds.
    if (++this.idleTicks * tickMs > this.context.options.idleTimeoutMs) this.close('421 4.4.2 Idle timeout, closing transmission channel\r\n');
  }

  /** Resolves once the socket has closed. */
  closed(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => (this.endWaiters ??= []).push(resolve));
  }

  /** Reading from `socket` (the TCP one, then the TLS one over it), paused while writes are behind. */
  private listen(socket: Socket): void {
    socket.on('drain', () => this.resume());
    socket.on('data', this.onData);
  }

  /** The sink is stopping: say so after the pending replies, then hang up. */
  shutdown(): void {
    this.close(SHUTDOWN);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.active = true;
    if (this.state === 'CLOSED' || this.state === 'STARTTLS') return; // e.g. plaintext after STARTTLS
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    if (this.state === 'GREETING') return;
    this.process();
  };

  /**
   * Reads whatever whole units (lines, content, chunks) the input holds. The replies to
   * everything read leave in one write, not one write each.
   */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      let progress = true;
      while (progress && this.input.length > 0) {
        switch (this.state) {
          case 'LINES':
            progress = this.readLine();
            break;
          case 'DATA':
            progress = this.readContent();
            break;
          case 'BDAT':
            progress = this.readChunkBytes();
            break;
          default:
            progress = false;
        }
      }
    } finally {
      this.processing = false;
    }
    this.pauseIfBehind();
  }

  /** Stops reading while the outbox, the socket or the disk is behind; resume() starts it again. */
  private pauseIfBehind(): void {
    if (this.paused || !(this.outbox.backlog > MAX_BACKLOG || this.socket.writableNeedDrain || this.disk?.full)) return;
    this.paused = true;
    this.socket.pause();
  }

  private queueOutput(): void {
    if (this.batched) return;
    this.batched = true;
    this.context.batch.add(this);
  }

  /**
   * The replies gathered leave in one write; after QUIT, with the FIN. Called by the batch,
   * and before anything else touches the socket (the STARTTLS switch, a drop, a delayed close).
   */
  sendPending(): void {
    this.batched = false;
    const text = this.pending;
    this.pending = '';
    const socket = this.socket;
    if (socket.destroyed) return;
    if (text !== '') socket.write(text);
    if (this.ending) {
      this.ending = false;
      socket.end();
    } else this.pauseIfBehind();
  }

  private resume(): void {
    if (!this.paused || this.socket.writableNeedDrain || this.outbox.backlog > MAX_BACKLOG / 2 || this.disk?.full) return;
    this.paused = false;
    this.socket.resume();
  }

  private take(length: number): void {
    this.input = length >= this.input.length ? EMPTY : this.input.subarray(length);
  }

  private readLine(): boolean {
    const lines = this.lines;
    this.take(lines.read(this.input));
    if (lines.tooLong) this.session.lineTooLong();
    else if (lines.line !== undefined) this.session.line(lines.line);
    return lines.ended;
  }

  private readContent(): boolean {
    const { consumed, done } = this.dot.feed(this.input, this.session.content);
    this.take(consumed);
    if (!done) return false;
    this.state = 'LINES';
    this.session.dataEnded();
    return true;
  }

  private readChunkBytes(): boolean {
    const chunk = this.chunk;
    if (!chunk) return false;
    this.take(chunk.read(this.input, this.session.content));
    if (!chunk.complete) return false;
    this.chunk = undefined;
    this.state = 'LINES';
    this.session.chunkEnded(chunk);
    return true;
  }

  // ---- The Outbox's owner ----

  deliver(text: string): void {
    this.active = true;
    this.pending += text;
    this.queueOutput();
  }

  outboxFailed(): void {
    this.socket.destroy();
  }

  outboxIdle(): void {
    this.resume();
  }

  // ---- The Wire: what the session asks ----

  reply(text: string): void {
    this.outbox.reply(text);
  }

  replyLater(make: () => Promise<string>): void {
    this.outbox.replyLater(make);
  }

  then(action: () => void | Promise<void>): void {
    this.outbox.then(action);
  }

  readData(): void {
    this.dot.reset();
    this.state = 'DATA';
  }

  readChunk(chunk: BdatChunk): void {
    this.chunk = chunk;
    this.state = 'BDAT';
  }

  startTls(secureContext: SecureContext): void {
    // Whatever was pipelined after STARTTLS is plaintext injection (RFC 3207 §6): dropped.
    this.state = 'STARTTLS';
    this.input = EMPTY;
    this.outbox.then(() => this.upgrade(secureContext));
  }

  private upgrade(secureContext: SecureContext): void {
    if (this.state !== 'STARTTLS' || this.socket.destroyed) return;
    this.sendPending(); // the 220 goes out in plaintext, before the handshake
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    const secure = new TLSSocket(raw, { isServer: true, secureContext });
    secure.on('error', () => secure.destroy());
    this.listen(secure);
    this.socket = secure;
    this.session.tlsStarted();
    this.input = EMPTY;
    this.state = 'LINES';
  }

  close(last: string): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.input = EMPTY;
    this.reply(last);
    // Nothing waiting: the reply and the FIN leave together, without a promise.
    if (this.outbox.idle) {
      this.ending = true;
      return;
    }
    this.outbox.then(() => {
      this.sendPending();
      this.socket.end();
    });
  }

  drop(): void {
    this.state = 'CLOSED';
    this.input = EMPTY;
    this.outbox.then(async () => {
      this.sendPending();
      const socket = this.socket;
      await new Promise<void>((resolve) => socket.write('', () => resolve()));
      this.context.stats.dropped++;
      socket.destroy();
    });
  }
}
