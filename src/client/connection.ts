// The live connection to the server: one socket (plain, then maybe TLS), the protocol's
// framer, one phase (see phase.ts), and the pairing of every reply with the command it
// answers. The rules of STARTTLS live here, for every command that connects:
//   - when a STARTTLS goes out, any reply or byte already received that answers no earlier
//     command is injection (RFC 3207 §6; Poddebniak et al., USENIX Security 2021);
//   - only the reply to *this* STARTTLS can be its go-ahead;
//   - after the go-ahead nothing more is read as plaintext: any byte is injection;
//   - after the handshake nothing from before survives (framer, owed replies, queues).
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MailprobeError, serverClosed } from '../errors.js';
import type { Exchange, Framer, ProtocolSpec, Reply, ServerLine } from '../protocols/types.js';
import { handshake, type TlsInfo } from '../transport/handshake.js';
import type { TlsSettings } from '../transport/tlsOptions.js';
import { describeNetError } from '../transport/connect.js';
import { looksLikeTlsRecord } from '../transport/tlsGuard.js';
import type { ConnectionObserver } from './events.js';
import { PhaseTracker, type Phase } from './phase.js';
import { Evidence } from './bounds.js';
import { ReplyUnderWay, serialise } from './replyUnderWay.js';
import { injectionError } from './injection.js';
import { ReplyWaiters } from './waiters.js';

export interface ConnectionOptions {
  lineEnding: '\r\n' | '\n';
  timeoutMs: number;
  /** Hide the dialogue mailprobe runs itself (greeting, EHLO, STARTTLS) — for -quiet. */
  quietDialogue: boolean;
  where: string;
}

export const PARTIAL_LINE_MS = 200;

/** A command the server owes a reply to: '' is the greeting. */
type Owed = { line: string; startTls: boolean };

export class ServerConnection implements Exchange {
  socket: Socket | TLSSocket;
  tls?: TlsInfo;
  protocol: ProtocolSpec;
  framer: Framer;
  private readonly state: PhaseTracker;
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
  /** Called after every complete reply (the session's reply timer). */
  onAnyReply?: () => void;
  /** A quit command (QUIT/LOGOUT) went out. */
  quitSent = false;
  /**
   * A dialogue of mailprobe's own runs inside a session (a helper): replies it has not asked
   * for yet wait for its reply() calls, as they do without a session (an LMTP server sends
   * its per-recipient replies in one write). Off again, what is left is dropped.
   */
  private collecting = false;

  private partialTimer?: NodeJS.Timeout;
  private readonly underWay = new ReplyUnderWay();
  private owed: Owed[] = [];
  private readonly waiters = new ReplyWaiters();
  /** Replies to commands sent, not yet asked for (a dialogue sends, then asks). */
  private unclaimed: Reply[] = [];
  /** Replies that answered no command: never handed out as answers, and fatal to STARTTLS. */
  private stray = new Evidence();
  /** Bytes after the go-ahead, before TLS: injection evidence. */
  private injected = new Evidence();
  private closeError?: MailprobeError;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    socket: Socket | TLSSocket,
    protocol: ProtocolSpec,
    private readonly observer: ConnectionObserver,
    private readonly options: ConnectionOptions,
    start: { tls?: TlsInfo; greeting: boolean },
  ) {
    this.socket = socket;
    this.protocol = protocol;
    this.tls = start.tls;
    this.framer = protocol.createFramer({ greeting: start.greeting });
    this.state = new PhaseTracker(start.greeting ? 'GREETING' : 'READY');
    if (start.greeting) this.owed.push({ line: '', startTls: false });
    this.attach(socket);
  }

  get phase(): Phase {
    return this.state.phase;
  }

  get closed(): boolean {
    return this.state.phase === 'CLOSED';
  }

  get greeted(): boolean {
    return this.state.greeted();
  }

  /** Replies the server still owes for what was sent. */
  get outstanding(): number {
    return this.owed.length;
  }

  /**
   * Replies still to be read by a dialogue: those owed, and those already received that no
   * waiter has taken yet (an LMTP server's per-recipient replies often come in one write).
   */
  get unread(): number {
    return this.owed.length + this.unclaimed.length;
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
    // A peeked greeting left the socket paused: a 'data' listener alone does not restart it.
    socket.resume();
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
    this.state.enter('CLOSED');
    return { socket, pending: this.framer.drain() };
  }

  private handleClose(): void {
    if (this.closed) return;
    this.state.enter('CLOSED');
    const partial = this.framer.takePartial();
    if (partial) this.display([partial]);
    const error = this.closeError;
    this.waiters.rejectAll(error ?? serverClosed('the server closed the connection'));
    this.onClose?.(error);
  }

  /** Exchange.send: a line mailprobe sends on its own (dialogues, helpers). */
  send(line: string, shown?: string): boolean {
    return this.sendLine(line, { by: 'mailprobe', shown });
  }

  /**
   * Sends one line with the chosen ending. `shown` replaces the line in echo and transcript
   * (secrets redacted); piped input arrives as latin1 so its bytes pass unchanged. Throws
   * (and closes) when the line is a STARTTLS and the server has already said something
   * that answers nothing: that is injection, whoever typed the STARTTLS.
   */
  sendLine(
    line: string,
    how: { by: 'user' | 'mailprobe'; echo?: boolean; encoding?: BufferEncoding; shown?: string },
  ): boolean {
    if (this.closed || !this.socket.writable) return false;
    const expected = this.framer.sent(line);
    const startTls = expected > 0 && this.protocol.isStartTlsCommand(line) && this.phase !== 'QUITTING';
    this.expect(line, expected, startTls);
    if (expected > 0 && this.protocol.isQuitCommand(line)) {
      this.quitSent = true;
      this.state.enter('QUITTING');
    }
    const echo = (how.echo ?? true) && !(how.by === 'mailprobe' && this.options.quietDialogue && !this.onReply);
    this.observer.sent(how.shown ?? line, how.by, echo);
    return this.socket.write(line + this.options.lineEnding, how.encoding ?? 'utf8');
  }

  /** Exchange.sendMessage: a protocol message that is not a text line, sent by mailprobe. */
  sendMessage(bytes: Buffer, shown: string, how: { startTls?: boolean } = {}): void {
    if (this.closed || !this.socket.writable) return;
    const expected = this.framer.sentMessage?.(bytes) ?? 0;
    this.expect(shown, expected, !!how.startTls && this.phase !== 'QUITTING');
    this.observer.sent(shown, 'mailprobe', !(this.options.quietDialogue && !this.onReply));
    this.socket.write(bytes);
  }

  /**
   * Records the replies a command is owed. A STARTTLS (before TLS) first meets the
   * unclaimed-reply rule; its last reply is the only possible go-ahead, and a STARTTLS that
   * is owed none (MySQL's SSL request) leaves nothing more to read as plaintext.
   */
  private expect(command: string, replies: number, startTls: boolean): void {
    if (startTls && this.tls) this.observer.event({ kind: 'nested-starttls' });
    const upgrading = startTls && !this.tls;
    if (upgrading) this.refuseEarlyReplies(command);
    for (let i = 0; i < replies; i++) this.owed.push({ line: command, startTls: upgrading && i === replies - 1 });
    if (!upgrading) return;
    this.state.enter('STARTTLS_REPLY');
    if (replies === 0) this.state.enter('HANDSHAKE');
  }

  /** The unclaimed-reply rule, at the moment a STARTTLS goes out. */
  private refuseEarlyReplies(command: string): void {
    const pending = this.framer.pendingBytes();
    const unasked = this.underWay.started && !this.protocol.unpromptedLines;
    const unanswered = this.owed.length === 0 && (unasked || pending > 0);
    if (this.stray.total === 0 && !unanswered) return;
    const evidence = Buffer.concat([
      this.stray.bytes(),
      ...(this.owed.length === 0 ? this.underWay.bytes() : []),
      this.owed.length === 0 ? this.framer.drain() : Buffer.alloc(0),
    ]);
    const error = injectionError('early', evidence, command.trim());
    this.closeError = error;
    this.socket.destroy();
    throw error;
  }

  /** Exchange.warn: reported, never fatal; how it looks is the observer's. */
  warn(text: string): void {
    this.observer.event({ kind: 'dialogue-warning', text });
  }

  /** Unframed bytes (message content); true when the socket wants more. Then `written`: the bytes are done with. */
  sendRaw(bytes: Buffer, written: () => void = () => {}): boolean {
    if (this.closed || !this.socket.writable) {
      process.nextTick(written);
      return false;
    }
    this.framer.sentRaw?.(bytes.length);
    return this.socket.write(bytes, () => written());
  }

  reply(stage: string): Promise<Reply> {
    const early = this.unclaimed.shift();
    if (early) return Promise.resolve(early);
    if (this.closed) return Promise.reject(this.closeError ?? serverClosed(`the server closed the connection before the ${stage} reply`));
    // Greet-pause servers wait on purpose: after a few silent seconds, say why nothing happens.
    const slow =
      stage === 'greeting' && this.bytesReceived === 0
        ? () => {
            if (this.bytesReceived === 0 && !this.closed) this.observer.event({ kind: 'greeting-slow' });
          }
        : undefined;
    return this.waiters.wait(stage, this.options.timeoutMs, slow);
  }

  private receive(chunk: Buffer): void {
    if (this.bytesReceived === 0 && !this.tls && looksLikeTlsRecord(chunk)) {
      this.fail(new MailprobeError('TLS_HANDSHAKE', 'the server speaks TLS on this port: its first bytes are a TLS record, not a greeting', {
        bytes: chunk.subarray(0, 64),
        hint: 'this port expects TLS from the start: try -tls',
      }));
      return;
    }
    if (this.bytesReceived === 0) this.onFirstBytes?.();
    this.bytesReceived += chunk.length;
    if (this.phase === 'HANDSHAKE') return this.injected.add(chunk);
    const lines = this.framer.push(chunk);
    let shown: ServerLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      shown.push(line);
      if (!this.keep(line)) {
        this.display(shown);
        return;
      }
      if (!line.final) continue;
      const reply = this.underWay.complete(line);
      this.display(shown);
      shown = [];
      const goAhead = this.settle(reply);
      if (this.closed) return;
      if (goAhead) {
        // Everything after the go-ahead is injection, shown only as evidence.
        for (const rest of lines.slice(i + 1)) this.injected.add(serialise(rest));
        this.injected.add(this.framer.drain());
        this.onIdle?.();
        return;
      }
    }
    this.display(shown);
    this.schedulePartial();
    if (this.outstanding === 0 || this.framer.inContent()) this.onIdle?.();
  }

  /** Keeps a line of the reply under way, within the byte budget; false when the connection stops. */
  private keep(line: ServerLine): boolean {
    if (this.underWay.add(line) !== 'over') return true;
    // Past the budget the reply is still shown, not kept; mailprobe's own dialogue waits
    // for this reply, so an endless one is an error there.
    if (this.waiters.count === 0 && this.onReply) return true;
    this.fail(new MailprobeError('PROTOCOL', `the server's reply ran past ${this.underWay.describeBudget()} without ending, so mailprobe stops`));
    return false;
  }

  /** Pairs a complete reply with the command it answers; true when it is a STARTTLS go-ahead. */
  private settle(reply: Reply): boolean {
    const owed = this.owed.shift();
    this.onAnyReply?.();
    if (!owed) {
      // It answers nothing: shown, remembered as stray, never taken as an answer.
      this.stray.add(Buffer.concat(reply.lines.map(serialise)));
      this.onReply?.(reply, '');
      return false;
    }
    if (this.phase === 'GREETING' && owed.line === '') this.state.enter('READY');
    this.lastReply = reply;
    const goAhead = owed.startTls && this.phase === 'STARTTLS_REPLY' && this.protocol.isStartTlsGoAhead(reply);
    if (owed.startTls && this.phase === 'STARTTLS_REPLY') this.state.enter(goAhead ? 'HANDSHAKE' : 'READY');
    // The session learns of every reply (capabilities, tags); a waiting dialogue gets it too.
    this.onReply?.(reply, owed.line);
    if (!this.waiters.resolveNext(reply) && (!this.onReply || this.collecting)) this.unclaimed.push(reply);
    return goAhead;
  }

  /** Text without a line ending yet (a prompt, a stalled line) is shown after a short pause. */
  private schedulePartial(): void {
    clearTimeout(this.partialTimer);
    if (this.framer.pendingBytes() === 0 || !this.onLines) return;
    this.partialTimer = setTimeout(() => {
      const partial = this.phase === 'HANDSHAKE' ? undefined : this.framer.takePartial();
      if (partial) this.display([partial]);
    }, PARTIAL_LINE_MS);
    this.partialTimer.unref();
  }

  private display(lines: ServerLine[]): void {
    if (lines.length === 0) return;
    if (this.onLines) this.onLines(lines);
    else if (!this.options.quietDialogue) this.observer.lines(lines);
  }

  /** The server said go ahead with TLS: the socket is to be handed to TLS. */
  awaitingHandshake(): boolean {
    return this.phase === 'HANDSHAKE';
  }

  /** Hands the socket to TLS after the go-ahead; fails closed on any plaintext that followed it. */
  async upgrade(settings: TlsSettings): Promise<TlsInfo> {
    if (this.phase !== 'HANDSHAKE') throw new MailprobeError('INTERNAL', `TLS cannot start in state ${this.phase}`);
    const socket = this.socket as Socket;
    socket.removeListener('data', this.onData);
    if (this.injected.total > 0) {
      const error = injectionError('after', this.injected.bytes());
      this.fail(error);
      throw error;
    }
    socket.removeListener('close', this.onSocketClose);
    socket.removeListener('error', this.onError);
    let result;
    try {
      result = await handshake(socket, settings, this.options.timeoutMs, (event) => this.observer.event({ kind: 'tls-trace', event }));
    } catch (error) {
      this.state.enter('CLOSED');
      throw error;
    }
    // Nothing learned before TLS survives it (RFC 3207 §4.2): a new framer, no owed or
    // queued replies, no stray record; capabilities are the caller's to ask for again.
    this.socket = result.socket;
    this.tls = result.info;
    // ManageSieve greets again with its capabilities (RFC 5804 §2.2): that reply is owed.
    const greetsAgain = !!this.protocol.readsCapabilitiesUnasked;
    this.framer = this.protocol.createFramer({ greeting: greetsAgain });
    this.owed = greetsAgain ? [{ line: '', startTls: false }] : [];
    this.unclaimed = [];
    this.underWay.reset();
    this.stray = new Evidence();
    this.lastReply = undefined;
    this.state.enter('READY');
    this.observer.event({ kind: 'tls', info: result.info });
    this.attach(result.socket);
    return result.info;
  }

  /** While a helper runs, replies it has not asked for yet are kept for it (see `collecting`). */
  collectReplies(on: boolean): void {
    this.collecting = on;
    if (!on) this.unclaimed = [];
  }

  /** Stops the connection with `error` (the close reports it). */
  private fail(error: MailprobeError): void {
    this.closeError ??= error;
    this.socket.destroy();
  }

  close(): void {
    clearTimeout(this.partialTimer);
    this.socket.destroy();
  }
}
