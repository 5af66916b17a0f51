// The load run's reader of SMTP/LMTP replies once a connection is set up: reply codes in
// order, read straight from the bytes. The session's connection keeps every line, its
// tone and a timer per reply, which is right for a person and most of the cost of a
// message at thousands a second. Bounded like the session: a line without an end or a
// reply without a last line stops the connection.
import type { Socket } from 'node:net';
import { MailprobeError, serverClosed, timeoutError } from '../../errors.js';

const LF = 0x0a;
const MAX_LINE_BYTES = 64 * 1024;
const MAX_REPLY_LINES = 10_000;

export interface LoadReply {
  /** The reply code, or 0 when the server broke the format. */
  code: number;
  /** The last line, for reports. */
  text: string;
  /** Every line, while keepLines is on (the EHLO reply's capabilities). */
  lines?: string[];
}

type Waiter = { resolve(reply: LoadReply): void; reject(error: Error): void };

export class ReplyReader {
  private partial: Buffer | undefined;
  private linesInReply = 0;
  private kept: string[] = [];
  private readonly ready: LoadReply[] = [];
  private readonly waiters: Waiter[] = [];
  private over = false;
  private failure?: Error;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly socket: Socket,
    /** Bytes the connection had read and not yet framed. */
    pending: Buffer,
    timeoutMs: number,
    /** Keep each reply's lines (only while setting up: a message needs its code alone). */
    public keepLines = false,
  ) {
    // One timer for the connection, pushed back by every reply: the server has this long to
    // answer whatever is awaited.
    this.timer = setTimeout(() => {
      if (this.waiters.length > 0) this.fail(timeoutError('REPLY_TIMEOUT', `no reply from the server after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    this.timer.unref();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    // An error is made only when someone is left waiting: a load run closes thousands.
    socket.on('close', () => this.fail());
    if (pending.length > 0) this.receive(pending);
  }

  /** The next reply, in the order the server sends them. */
  next(): Promise<LoadReply> {
    const reply = this.ready.shift();
    if (reply) return Promise.resolve(reply);
    if (this.over) return Promise.reject((this.failure ??= closedError()));
    this.timer.refresh();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private receive(chunk: Buffer): void {
    let bytes = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, start)) {
      this.line(bytes, start, lf);
      start = lf + 1;
    }
    if (start < bytes.length) {
      bytes = bytes.subarray(start);
      if (bytes.length > MAX_LINE_BYTES) {
        this.fail(new MailprobeError('PROTOCOL', `the server sent a line longer than ${MAX_LINE_BYTES} bytes`));
        return;
      }
      this.partial = Buffer.from(bytes);
    }
  }

  private line(bytes: Buffer, start: number, lf: number): void {
    const end = lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    const code = replyCodeAt(bytes, start, end);
    const more = code > 0 && end - start > 3 && bytes[start + 3] === 0x2d;
    if (this.keepLines) this.kept.push(bytes.toString('latin1', start, end));
    if (more) {
      if (++this.linesInReply >= MAX_REPLY_LINES) {
        this.fail(new MailprobeError('PROTOCOL', `the server's reply ran past ${MAX_REPLY_LINES} lines without ending`));
      }
      return;
    }
    this.linesInReply = 0;
    const reply: LoadReply = { code, text: bytes.toString('latin1', start, end) };
    if (this.keepLines) {
      reply.lines = this.kept;
      this.kept = [];
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.ready.push(reply);
    if (this.waiters.length > 0) this.timer.refresh();
  }

  /** The connection is over, for `error` or (none) because it closed. */
  private fail(error?: Error): void {
    if (this.over) return;
    this.over = true;
    if (error) this.failure = error instanceof MailprobeError ? error : serverClosed(`the connection failed: ${error.message}`);
    clearTimeout(this.timer);
    if (this.waiters.length > 0) {
      const failure = (this.failure ??= closedError());
      for (const waiter of this.waiters.splice(0)) waiter.reject(failure);
    }
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /** Stops reading: the connection is over. */
  close(): void {
    clearTimeout(this.timer);
    this.socket.destroy();
  }
}

const closedError = () => serverClosed('the server closed the connection');

/** The line bytes[start..end) is "250", "250-..." or "250 ...": the code; 0 for anything else (RFC 5321 §4.2). */
function replyCodeAt(bytes: Buffer, start: number, end: number): number {
  if (end - start < 3) return 0;
  const a = bytes[start] - 0x30;
  const b = bytes[start + 1] - 0x30;
  const c = bytes[start + 2] - 0x30;
  if (a < 2 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return 0;
  if (end - start > 3 && bytes[start + 3] !== 0x20 && bytes[start + 3] !== 0x2d) return 0;
  return a * 100 + b * 10 + c;
}
