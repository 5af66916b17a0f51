// The live connection to the server: one socket (plain, then maybe TLS), the protocol's
// framer, and the rules of STARTTLS: once a go-ahead is awaited, nothing after the reply
// is read as plaintext; any such byte is held and reported as injection, never shown as
// if it came over TLS.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MailprobeError, serverClosed, timeoutError } from '../errors.js';
import type { Exchange, Framer, ProtocolSpec, Reply, ServerLine } from '../protocols/types.js';
import type { Printer } from '../terminal/printer.js';
import { handshake, type TlsInfo } from '../transport/handshake.js';
import type { TlsSettings } from '../transport/tlsOptions.js';
import { describeNetError } from '../transport/connect.js';

export interface ConnectionOptions {
  lineEnding: '\r\n' | '\n';
  timeoutMs: number;
  /** Hide the dialogue mailprobe runs itself (greeting, EHLO, STARTTLS) — for -quiet. */
  quietDialogue: boolean;
  where: string;
}

export const GREETING_NOTE_MS = 3000;
export const PARTIAL_LINE_MS = 200;
/** A reply longer than this is not kept whole (it is still shown): 100,000 EHLO lines cannot exhaust memory. */
export const MAX_REPLY_LINES = 10_000;
export const GREETING_WAIT_NOTE =
  'no greeting yet: mailprobe waits for the server to speak first and never talks first (servers with greet-pause delay on purpose)';

type Waiter = { resolve(reply: Reply): void; reject(error: Error): void };

const ENDINGS = { crlf: Buffer.from('\r\n'), lf: Buffer.from('\n'), none: Buffer.alloc(0) };

export class ServerConnection implements Exchange {
  socket: Socket | TLSSocket;
  tls?: TlsInfo;
  closed = false;
  /** Replies the server still owes for what was sent. */
  outstanding: number;
  /** Set once a quit command (QUIT/LOGOUT) went out. */
  quitSent = false;
  /** The user or the session is handling replies: dialogue waiters are not used. */
  onReply?: (reply: Reply, command: string) => void;
  onLines?: (lines: ServerLine[]) => void;
  onClose?: (error?: MailprobeError) => void;
  onIdle?: () => void;
  /** Every byte received, for timing the greeting. */
  bytesReceived = 0;
  /** The last complete reply (script expectations are checked against it). */
  lastReply?: Reply;
  /** Called once, when the server's first bytes arrive (in plaintext or over TLS). */
  onFirstBytes?: () => void;

  /** Replies have come since connecting (the greeting, unless TLS came first). */
  greeted: boolean;
  private partialTimer?: NodeJS.Timeout;
  private current: ServerLine[] = [];
  /** The command each awaited reply answers, oldest first. */
  private readonly commands: string[] = [];
  private waiters: Waiter[] = [];
  private readonly unclaimed: Reply[] = [];
  private expectingGoAhead = false;
  private held: Buffer[] | undefined;
  private closeError?: MailprobeError;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    socket: Socket | TLSSocket,
    readonly protocol: ProtocolSpec,
    readonly framer: Framer,
    private readonly printer: Printer,
    private readonly options: ConnectionOptions,
    /** Replies owed before anything is sent: the greeting, unless TLS came first. */
    greetingOwed = true,
  ) {
    this.socket = socket;
    this.outstanding = greetingOwed ? 1 : 0;
    if (greetingOwed) this.commands.push('');
    this.greeted = !greetingOwed;
    this.attach(socket);
  }

  private readonly onError = (err: NodeJS.ErrnoException) => {
    // The first error is the cause; a write racing the close only follows from it.
    this.closeError ??= err instanceof MailprobeError ? err : describeNetError(err, this.options.where);
  };
  private readonly onSocketClose = () => this.handleClose();

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.once('close', this.onSocketClose);
  }

  /**
   * Hands the socket over to a reader of its own (the load run's message loop), with the
   * bytes read and not yet framed; this connection reads no more.
   */
  detach(): { socket: Socket | TLSSocket; pending: Buffer } {
    const { socket } = this;
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onSocketClose);
    clearTimeout(this.partialTimer);
    this.closed = true;
    return { socket, pending: this.framer.drain() };
  }

  private handleClose(): void {
    if (this.closed) return;
    this.closed = true;
    const partial = this.framer.takePartial();
    if (partial) this.display([partial]);
    const error = this.closeError;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error ?? serverClosed('the server closed the connection'));
    this.onClose?.(error);
  }

  /** Exchange.send: a line mailprobe sends on its own (dialogues, helpers). */
  send(line: string, shown?: string): boolean {
    return this.sendLine(line, { by: 'mailprobe', shown });
  }

  /**
   * Sends one line with the chosen ending. `shown` replaces the line in echo and transcript
   * (secrets redacted); piped input arrives as latin1 so its bytes pass unchanged.
   */
  sendLine(
    line: string,
    how: { by: 'user' | 'mailprobe'; echo?: boolean; encoding?: BufferEncoding; shown?: string },
  ): boolean {
    if (this.closed || !this.socket.writable) return false;
    const expected = this.framer.sent(line);
    this.outstanding += expected;
    for (let i = 0; i < expected; i++) this.commands.push(line);
    // TLS inside TLS is never started: a STARTTLS over TLS is just a line and its reply.
    if (expected > 0 && this.protocol.isStartTlsCommand(line)) {
      if (this.tls) this.printer.warn('the connection is already encrypted: mailprobe will not start TLS inside TLS');
      else this.expectingGoAhead = true;
    }
    if (expected > 0 && this.protocol.isQuitCommand(line)) this.quitSent = true;
    const echo = (how.echo ?? true) && !(how.by === 'mailprobe' && this.options.quietDialogue && !this.onReply);
    this.printer.sent(how.shown ?? line, how.by, echo);
    return this.socket.write(line + this.options.lineEnding, how.encoding ?? 'utf8');
  }

  /** Raw bytes (message content) that need no framing; true when the socket wants more. */
  sendRaw(bytes: Buffer): boolean {
    if (this.closed || !this.socket.writable) return false;
    this.framer.sentRaw?.(bytes.length);
    return this.socket.write(bytes);
  }

  reply(stage: string): Promise<Reply> {
    const early = this.unclaimed.shift();
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(this.closeError ?? serverClosed(`the server closed the connection before the ${stage} reply`));
        return;
      }
      const seconds = this.options.timeoutMs / 1000;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(timeoutError(`no ${stage} reply from the server after ${seconds} s`, {
          hint: stage === 'greeting'
            ? 'if this port expects TLS from the start, try -tls; otherwise raise -timeout'
            : 'raise -timeout if the server is just slow',
        }));
      }, this.options.timeoutMs);
      const waiter: Waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error instanceof MailprobeError ? error : serverClosed(`the server closed the connection during ${stage}`));
        },
      };
      this.waiters.push(waiter);
      if (stage === 'greeting' && this.bytesReceived === 0) {
        // Greet-pause servers wait on purpose; say why nothing happens yet.
        const slow = setTimeout(() => {
          if (this.bytesReceived === 0 && !this.closed) this.printer.note(GREETING_WAIT_NOTE);
        }, GREETING_NOTE_MS);
        slow.unref();
        const done = () => clearTimeout(slow);
        const { resolve: res, reject: rej } = waiter;
        waiter.resolve = (reply) => (done(), res(reply));
        waiter.reject = (error) => (done(), rej(error));
      }
    });
  }

  private receive(chunk: Buffer): void {
    if (this.bytesReceived === 0 && !this.tls && looksLikeTlsRecord(chunk)) {
      this.closeError = new MailprobeError('TLS_HANDSHAKE', 'the server speaks TLS on this port: its first bytes are a TLS record, not a greeting', {
        bytes: chunk.subarray(0, 64),
        hint: 'this port expects TLS from the start: try -tls',
      });
      this.socket.destroy();
      return;
    }
    if (this.bytesReceived === 0) this.onFirstBytes?.();
    this.bytesReceived += chunk.length;
    if (this.held) {
      this.held.push(chunk);
      return;
    }
    const lines = this.framer.push(chunk);
    let shown: ServerLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      shown.push(line);
      if (this.current.length < MAX_REPLY_LINES || line.final) this.current.push(line);
      else if (this.waiters.length > 0) {
        // mailprobe's own dialogue waits for this reply: an endless one is an error.
        this.closeError = new MailprobeError('PROTOCOL', `the server's reply ran past ${MAX_REPLY_LINES} lines without ending, so mailprobe stops`);
        this.display(shown);
        this.socket.destroy();
        return;
      }
      if (!line.final) continue;
      this.greeted = true;
      const reply: Reply = { lines: this.current, last: line };
      this.current = [];
      this.outstanding = Math.max(0, this.outstanding - 1);
      if (this.expectingGoAhead) {
        // Everything after the answer to STARTTLS waits until it is known whether TLS starts.
        this.expectingGoAhead = false;
        this.held = [...lines.slice(i + 1).map(serialise), this.framer.drain()].filter((b) => b.length > 0);
        this.display(shown);
        this.deliver(reply);
        return;
      }
      this.display(shown);
      shown = [];
      this.deliver(reply);
    }
    this.display(shown);
    this.schedulePartial();
    if (this.outstanding === 0 || this.framer.inContent()) this.onIdle?.();
  }

  /** Text without a line ending yet (a prompt, a stalled line) is shown after a short pause. */
  private schedulePartial(): void {
    clearTimeout(this.partialTimer);
    if (this.framer.pendingBytes() === 0 || !this.onLines) return;
    this.partialTimer = setTimeout(() => {
      const partial = this.held ? undefined : this.framer.takePartial();
      if (partial) this.display([partial]);
    }, PARTIAL_LINE_MS);
    this.partialTimer.unref();
  }

  private display(lines: ServerLine[]): void {
    if (lines.length === 0) return;
    if (this.onLines) this.onLines(lines);
    else if (!this.options.quietDialogue) this.printer.server(lines);
  }

  private deliver(reply: Reply): void {
    const command = this.commands.shift() ?? '';
    this.lastReply = reply;
    // The session learns of every reply (capabilities, tags); a waiting dialogue gets it too.
    if (this.onReply) this.onReply(reply, command);
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(reply);
    // Without a session reading along (dialogues, checks, load with PIPELINING), a reply
    // that came before anyone asked for it waits for the next reply() call.
    else if (!this.onReply) this.unclaimed.push(reply);
  }

  /** A reply to STARTTLS has come and the bytes after it are held until TLS is decided. */
  answeringStartTls(): boolean {
    return this.held !== undefined;
  }

  /** After a reply to STARTTLS that was not a go-ahead: read on as before. */
  releaseHeld(): void {
    const held = this.held;
    this.held = undefined;
    for (const chunk of held ?? []) this.receive(chunk);
    if (this.outstanding === 0) this.onIdle?.();
  }

  /** Bytes the server sent after its go-ahead and before the handshake. */
  heldBytes(): Buffer {
    return Buffer.concat([...(this.held ?? []), this.framer.drain()]);
  }

  /** Hands the socket to TLS after the go-ahead; fails closed on any plaintext that followed it. */
  async upgrade(settings: TlsSettings): Promise<TlsInfo> {
    const socket = this.socket as Socket;
    socket.removeListener('data', this.onData);
    const injected = this.heldBytes();
    this.held = undefined;
    if (injected.length > 0) {
      socket.destroy();
      throw new MailprobeError(
        'STARTTLS_INJECTION',
        'the server sent plaintext after its STARTTLS go-ahead and before TLS began (STARTTLS response injection), so mailprobe stops',
        { bytes: injected, hint: 'someone between you and the server may be tampering with the connection' },
      );
    }
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    let result;
    try {
      result = await handshake(socket, settings, this.options.timeoutMs);
    } catch (error) {
      this.closed = true;
      throw error;
    }
    this.socket = result.socket;
    this.tls = result.info;
    this.printer.tls = true;
    this.attach(result.socket);
    return result.info;
  }

  close(): void {
    clearTimeout(this.partialTimer);
    this.socket.destroy();
  }
}

/** A TLS record header: handshake or alert content type, version 3.x. */
function looksLikeTlsRecord(chunk: Buffer): boolean {
  return chunk.length >= 3 && (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03 && chunk[2] <= 0x04;
}

function serialise(line: ServerLine): Buffer {
  return Buffer.concat([line.bytes, ENDINGS[line.ending]]);
}
