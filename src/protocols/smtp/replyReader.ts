// The load run's reader of SMTP/LMTP replies once a connection is set up: reply codes in
// order, read straight from the bytes and handed to the connection's handler as they end —
// no promise and no timer per reply, which at thousands of messages a second is most of
// what a message costs. The session's connection keeps every line, its tone and a timer per
// reply, which is right for a person. Bounded like the session: a line without an end or a
// reply without a last line ends the connection. The socket is the caller's: it feeds the
// bytes in (receive) and says when the connection is over (end); time limits are its too.
import { MailprobeError, serverClosed } from '../../errors.js';

const LF = 0x0a;
const MAX_LINE_BYTES = 64 * 1024;
const MAX_REPLY_LINES = 10_000;

export interface LoadReply {
  /** The reply code, or 0 when the server broke the format. */
  code: number;
  /** The last line, for reports. */
  readonly text: string;
  /** The whole reply's bytes, lines and line ends, while keepRaw is on (the EHLO reply). */
  raw?: Buffer;
}

/**
 * A reply as read: its text is decoded only when a report asks (most replies are only a code).
 * One read from a borrowed buffer (one the socket reuses for its next read, `reader` given)
 * has its text there while the reply is handled; later the buffer holds other bytes, so the
 * text is the code alone — never bytes of another reply or connection. One class, not a
 * subclass for the borrowed kind: a derived constructor per reply showed in profiles.
 */
class ReadReply implements LoadReply {
  raw?: Buffer;
  constructor(
    readonly code: number,
    private readonly bytes: Buffer,
    private readonly start: number,
    private readonly end: number,
    private readonly reader: ReplyReader | undefined,
    private readonly read: number,
  ) {}

  get text(): string {
    if (this.reader !== undefined && this.reader.reading !== this.read) return String(this.code);
    return this.bytes.toString('latin1', this.start, this.end);
  }
}

/** A reply whose text is kept, decoded as it was read: a refusal's text is what a report shows. */
const keptReply = (code: number, bytes: Buffer, start: number, end: number): LoadReply => ({ code, text: bytes.toString('latin1', start, end) });

/** Where the replies go: each as it ends, then the end of the connection, once. */
export interface ReplyHandler {
  reply(reply: LoadReply): void;
  /** The connection is over: closed by the server (no error) or failed. */
  end(error?: MailprobeError): void;
}

export class ReplyReader {
  /** The chunk being read (its number), 0 between chunks: a borrowed buffer holds bytes only while read. */
  reading = 0;
  private reads = 0;
  private partial: Buffer | undefined;
  private linesInReply = 0;
  /** Where the reply under way starts in the bytes being read, and its earlier chunks' part. */
  private replyStart = 0;
  private rawPieces: Buffer[] = [];
  private over = false;

  constructor(
    private readonly handler: ReplyHandler,
    /** Keep each reply's bytes (only while setting up: a message needs its code alone). */
    public keepRaw = false,
    /**
     * The chunks are the socket's one read buffer (`onread`), overwritten once receive()
     * returns: a refusal's text is copied, a positive reply's only readable while handled.
     */
    private readonly borrowed = false,
  ) {}

  /** Bytes from the server, cut anywhere. */
  receive(chunk: Buffer): void {
    if (this.over) return;
    this.reading = ++this.reads;
    this.read(chunk);
    this.reading = 0;
  }

  private read(chunk: Buffer): void {
    let bytes = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    let start = 0;
    this.replyStart = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1 && !this.over; lf = bytes.indexOf(LF, start)) {
      this.line(bytes, start, lf);
      start = lf + 1;
    }
    if (this.over) return;
    // A reply still under way keeps the lines it has so far; a line still under way waits.
    if (this.keepRaw && this.linesInReply > 0) this.rawPieces.push(Buffer.from(bytes.subarray(this.replyStart, start)));
    if (start < bytes.length) {
      bytes = bytes.subarray(start);
      if (bytes.length > MAX_LINE_BYTES) return this.end(new MailprobeError('PROTOCOL', `the server sent a line longer than ${MAX_LINE_BYTES} bytes`));
      this.partial = Buffer.from(bytes);
    }
  }

  private line(bytes: Buffer, start: number, lf: number): void {
    if (this.linesInReply === 0) this.replyStart = start;
    const end = lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    const code = replyCodeAt(bytes, start, end);
    const more = code > 0 && end - start > 3 && bytes[start + 3] === 0x2d;
    if (more) {
      if (++this.linesInReply >= MAX_REPLY_LINES) this.end(new MailprobeError('PROTOCOL', `the server's reply ran past ${MAX_REPLY_LINES} lines without ending`));
      return;
    }
    this.linesInReply = 0;
    const reply = this.replyAt(code, bytes, start, end);
    if (this.keepRaw) {
      const last = bytes.subarray(this.replyStart, lf + 1);
      reply.raw = this.rawPieces.length === 0 ? (this.borrowed ? Buffer.from(last) : last) : Buffer.concat([...this.rawPieces, last]);
      this.rawPieces = [];
    }
    this.handler.reply(reply);
  }

  private replyAt(code: number, bytes: Buffer, start: number, end: number): LoadReply {
    if (!this.borrowed) return new ReadReply(code, bytes, start, end, undefined, 0);
    return code >= 200 && code < 400 ? new ReadReply(code, bytes, start, end, this, this.reads) : keptReply(code, bytes, start, end);
  }

  /** The connection is over, for `error` or (none) because it closed: said once. */
  end(error?: Error): void {
    if (this.over) return;
    this.over = true;
    this.handler.end(error === undefined || error instanceof MailprobeError ? error : serverClosed(`the connection failed: ${error.message}`));
  }

  /** Stops reading: the connection is over, and its end is not reported. */
  close(): void {
    this.over = true;
  }
}

/** A reply's lines from its bytes, as the reader cut them (LF, and a CR before it, dropped). */
export function replyLines(raw: Buffer): string[] {
  return raw.toString('latin1').split('\n').slice(0, -1).map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
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
