// The load run's reader of SMTP/LMTP replies once a connection is set up: reply codes in
// order, read straight from the bytes and handed to the connection's handler as they end —
// no promise and no timer per reply, which at thousands of messages a second is most of
// what a message costs. The session's connection keeps every line, its tone and a timer per
// reply, which is right for a person. Bounded like the session: a line without an end or a
// reply without a last line stops the connection. Time limits are the caller's (one
// watchdog for a whole run).
import type { Socket } from 'node:net';
import { MailprobeError, serverClosed } from '../../errors.js';

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

/** Where the replies go: each as it ends, then the end of the connection, once. */
export interface ReplyHandler {
  reply(reply: LoadReply): void;
  /** The connection is over: closed by the server (no error) or failed. */
  end(error?: MailprobeError): void;
}

export class ReplyReader {
  private partial: Buffer | undefined;
  private linesInReply = 0;
  private kept: string[] = [];
  private over = false;

  constructor(
    private readonly socket: Socket,
    private readonly handler: ReplyHandler,
    /** Bytes the connection had read and not yet framed. */
    pending?: Buffer,
    /** Keep each reply's lines (only while setting up: a message needs its code alone). */
    public keepLines = false,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail());
    if (pending && pending.length > 0) this.receive(pending);
  }

  private receive(chunk: Buffer): void {
    let bytes = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1 && !this.over; lf = bytes.indexOf(LF, start)) {
      this.line(bytes, start, lf);
      start = lf + 1;
    }
    if (start < bytes.length && !this.over) {
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
    this.handler.reply(reply);
  }

  /** The connection is over, for `error` or (none) because it closed. */
  private fail(error?: Error): void {
    if (this.over) return;
    this.over = true;
    if (!this.socket.destroyed) this.socket.destroy();
    this.handler.end(error === undefined || error instanceof MailprobeError ? error : serverClosed(`the connection failed: ${error.message}`));
  }

  /** Stops reading: the connection is over, and its end is not reported. */
  close(): void {
    this.over = true;
    this.socket.destroy();
  }
}

/** The error for a connection the server closed while a reply was owed. */
export const closedError = () => serverClosed('the server closed the connection');

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
