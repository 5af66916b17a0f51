// One client connection to the sink: an explicit state machine over the bytes it sends.
//
//   GREETING ──220──▶ COMMAND ◀──────────────┐
//                      │ AUTH ─334─▶ AUTH ───┤ (235 / 535 / 501)
//                      │ DATA ─354─▶ DATA ───┤ (CRLF.CRLF)
//                      │ BDAT n ───▶ BDAT ───┤ (n bytes)
//                      │ STARTTLS ─▶ STARTTLS┘ (TLS handshake on the same socket)
//                      └ QUIT / drop / shutdown ─▶ CLOSED
//
// Commands are read as fast as they come (pipelining); replies go out in order through the
// Outbox. Message bytes are counted and, with --save, streamed to a MessageFile as they come;
// reading stops while the outbox, the socket or the disk is behind.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { SINK_MECHANISMS, SinkLogin, type AuthReply } from './auth.js';
import { parseBdat, splitCommand } from './commands.js';
import { DotDecoder } from './dotDecoder.js';
import type { FaultPlan } from './faults.js';
import { DiskBudget } from './messageFile.js';
import { MAX_COMMAND_LINE, type ResolvedSinkOptions } from './options.js';
import { Outbox } from './outbox.js';
import type { MessageStore } from './save.js';
import type { SinkStats } from './stats.js';
import { SinkTransaction } from './transaction.js';

export type SinkState = 'GREETING' | 'COMMAND' | 'AUTH' | 'DATA' | 'BDAT' | 'STARTTLS' | 'CLOSED';

/** What every connection of one sink shares. */
export interface SinkContext {
  readonly options: ResolvedSinkOptions;
  readonly stats: SinkStats;
  readonly faults: FaultPlan;
  readonly store?: MessageStore;
  readonly secureContext?: SecureContext;
  nextId(): string;
  /** The sink is shutting down: no new transactions. */
  closing: boolean;
}

interface Chunk {
  left: number;
  size: number;
  last: boolean;
  /** The reply for a chunk that has no transaction to go to (its bytes are still read). */
  error?: string;
}

const EMPTY: Buffer = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;
const IDLE_TIMEOUT_MS = 300_000;
/** Stop reading a client that pipelines faster than the replies can go out. */
const MAX_BACKLOG = 256;

const SHUTDOWN = '421 4.3.2 Service shutting down, closing transmission channel\r\n';

function multiline(code: number, lines: string[]): string {
  return lines.map((line, i) => `${code}${i === lines.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

export class SinkConnection {
  state: SinkState = 'GREETING';
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  private socket: Socket;
  private input: Buffer = EMPTY;
  private hello: 'none' | 'HELO' | 'EHLO' | 'LHLO' = 'none';
  private tls = false;
  private readonly login: SinkLogin;
  private tx?: SinkTransaction;
  private chunk?: Chunk;
  private readonly dot = new DotDecoder();
  /** The rest of an overlong command line, already answered, is being skipped. */
  private skippingLine = false;
  private processing = false;
  private paused = false;
  private readonly outbox: Outbox;
  private readonly options: ResolvedSinkOptions;
  /** With --save: this connection's bytes waiting for the disk. */
  private readonly disk?: DiskBudget;

  constructor(
    socket: Socket,
    private readonly context: SinkContext,
  ) {
    this.socket = socket;
    this.options = context.options;
    this.login = new SinkLogin(this.options.auth, () => context.stats.authFailed++);
    this.outbox = new Outbox(
      (text) => {
        if (!this.socket.destroyed) this.socket.write(text);
      },
      this.options.delayMs,
      () => this.socket.destroy(),
      () => this.resume(),
    );
    if (context.store) this.disk = new DiskBudget(() => this.resume());
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.endTransaction(); // a message cut off mid-way leaves no file
        resolve();
      }),
    );
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => this.close('421 4.4.2 Idle timeout, closing transmission channel\r\n'));
    socket.on('error', () => {}); // a reset is normal for a sink; 'close' follows
    socket.on('drain', () => this.resume());
    socket.on('data', this.onData);
    this.outbox.reply(`220 ${this.options.hostname} ${this.options.lmtp ? 'LMTP' : 'ESMTP'} mailprobe sink ready\r\n`);
    this.outbox.then(() => {
      if (this.state !== 'GREETING') return;
      this.state = 'COMMAND';
      this.process();
    });
  }

  /** The sink is stopping: say so after the pending replies, then hang up. */
  shutdown(): void {
    this.close(SHUTDOWN);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'CLOSED' || this.state === 'STARTTLS') return; // e.g. plaintext after STARTTLS
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    if (this.state === 'GREETING') return;
    this.process();
  };

  private reply(text: string): void {
    this.outbox.reply(text);
  }

  /**
   * Reads whatever whole units (lines, content, chunks) the input holds. The replies to
   * everything read leave in one write, not one write each.
   */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    this.socket.cork();
    try {
      let progress = true;
      while (progress && this.input.length > 0) {
        switch (this.state) {
          case 'COMMAND':
          case 'AUTH':
            progress = this.readLine();
            break;
          case 'DATA':
            progress = this.readData();
            break;
          case 'BDAT':
            progress = this.readChunk();
            break;
          default:
            progress = false;
        }
      }
    } finally {
      this.socket.uncork();
      this.processing = false;
    }
    if (this.outbox.backlog > MAX_BACKLOG || this.socket.writableNeedDrain || this.disk?.full) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private resume(): void {
    if (!this.paused || this.socket.writableNeedDrain || this.outbox.backlog > MAX_BACKLOG / 2 || this.disk?.full) return;
    this.paused = false;
    this.socket.resume();
  }

  private take(length: number): void {
    this.input = length >= this.input.length ? EMPTY : this.input.subarray(length);
  }

  // ---- COMMAND and AUTH: lines ----

  private readLine(): boolean {
    const lf = this.input.indexOf(LF);
    if (lf < 0) {
      // No line end yet: hold at most one line's worth.
      if (this.input.length > MAX_COMMAND_LINE + 1) {
        if (!this.skippingLine) this.lineTooLong();
        this.skippingLine = true;
        this.input = EMPTY;
      }
      return false;
    }
    const end = lf > 0 && this.input[lf - 1] === CR ? lf - 1 : lf;
    const skipped = this.skippingLine;
    const tooLong = !skipped && end > MAX_COMMAND_LINE;
    const line = skipped || tooLong ? '' : this.input.toString('utf8', 0, end);
    this.take(lf + 1);
    this.skippingLine = false;
    if (tooLong) this.lineTooLong();
    else if (!skipped) {
      if (this.state === 'AUTH') this.authReply(this.login.response(line));
      else this.command(line);
    }
    return true;
  }

  private lineTooLong(): void {
    if (this.state === 'AUTH') {
      this.login.abort();
      this.state = 'COMMAND';
    }
    this.reply(`500 5.5.2 Error: line too long (over ${MAX_COMMAND_LINE} bytes)\r\n`);
  }

  private command(line: string): void {
    const { verb, args } = splitCommand(line);
    switch (verb) {
      case 'EHLO':
      case 'HELO':
      case 'LHLO':
        return this.greet(verb, args.trim());
      case 'STARTTLS':
        return this.startTls(args.trim());
      case 'AUTH':
        return this.authReply(
          this.login.command(args.trim(), { greeted: this.hello === 'EHLO' || this.hello === 'LHLO', lmtp: this.options.lmtp, inTransaction: !!this.tx, offered: this.authOffered() }),
        );
      case 'MAIL':
        return this.mail(args);
      case 'RCPT':
        return this.rcpt(args);
      case 'DATA':
        return this.data(args.trim());
      case 'BDAT':
        return this.bdat(args);
      case 'RSET':
        this.endTransaction();
        return this.reply('250 2.0.0 Ok\r\n');
      case 'NOOP':
        return this.reply('250 2.0.0 Ok\r\n');
      case 'VRFY':
        return this.reply('252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n');
      case 'QUIT':
        return this.close('221 2.0.0 Bye\r\n');
      case '':
        return this.reply('500 5.5.2 Error: empty command\r\n');
      default:
        return this.reply('502 5.5.2 Error: command not recognized\r\n');
    }
  }

  private greet(verb: 'EHLO' | 'HELO' | 'LHLO', name: string): void {
    if (this.options.lmtp && verb !== 'LHLO') return this.reply('500 5.5.1 Error: this is LMTP, say LHLO\r\n');
    if (!this.options.lmtp && verb === 'LHLO') return this.reply('500 5.5.1 Error: this is SMTP, say EHLO or HELO\r\n');
    if (name === '') return this.reply(`501 5.5.4 Syntax: ${verb} hostname\r\n`);
    this.endTransaction();
    this.hello = verb;
    if (verb === 'HELO') return this.reply(`250 ${this.options.hostname}\r\n`);
    const keywords = ['PIPELINING', `SIZE ${this.options.maxSize}`, '8BITMIME', 'ENHANCEDSTATUSCODES', 'CHUNKING'];
    if (this.context.secureContext && !this.tls) keywords.push('STARTTLS');
    if (this.authOffered()) keywords.push(`AUTH ${SINK_MECHANISMS.join(' ')}`);
    this.reply(multiline(250, [`${this.options.hostname} greets ${name}`, ...keywords]));
  }

  /** With a certificate, AUTH waits for TLS; without one there is no TLS to wait for. */
  private authOffered(): boolean {
    return !this.context.secureContext || this.tls;
  }

  // ---- STARTTLS ----

  private startTls(args: string): void {
    const secureContext = this.context.secureContext;
    if (!secureContext) return this.reply('502 5.5.1 Error: STARTTLS not available\r\n');
    if (this.tls) return this.reply('503 5.5.1 Error: TLS already active\r\n');
    if (args !== '') return this.reply('501 5.5.4 Syntax: STARTTLS\r\n');
    this.reply('220 2.0.0 Ready to start TLS\r\n');
    // Whatever was pipelined after STARTTLS is plaintext injection (RFC 3207 §6): dropped.
    this.state = 'STARTTLS';
    this.input = EMPTY;
    this.outbox.then(() => this.upgrade(secureContext));
  }

  private upgrade(secureContext: SecureContext): void {
    if (this.state !== 'STARTTLS' || this.socket.destroyed) return;
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    const secure = new TLSSocket(raw, { isServer: true, secureContext });
    secure.on('error', () => secure.destroy());
    secure.on('drain', () => this.resume());
    secure.on('data', this.onData);
    this.socket = secure;
    this.tls = true;
    // Forget everything said in plaintext (RFC 3207 §4.2).
    this.hello = 'none';
    this.endTransaction();
    this.login.forget();
    this.input = EMPTY;
    this.state = 'COMMAND';
  }

  // ---- AUTH ----

  private authReply({ reply, awaiting }: AuthReply): void {
    this.state = awaiting ? 'AUTH' : 'COMMAND';
    this.reply(reply);
  }

  // ---- The mail transaction ----

  private mail(args: string): void {
    if (this.hello === 'none') return this.reply(`503 5.5.1 Error: send ${this.options.lmtp ? 'LHLO' : 'HELO/EHLO'} first\r\n`);
    if (this.tx) return this.reply('503 5.5.1 Error: nested MAIL command\r\n');
    if (this.context.closing) return this.close(SHUTDOWN);
    const begun = SinkTransaction.begin(args, this.context);
    if (typeof begun === 'string') return this.reply(begun);
    this.tx = begun;
    this.reply('250 2.1.0 Ok\r\n');
  }

  private rcpt(args: string): void {
    const tx = this.tx;
    if (!tx) return this.reply('503 5.5.1 Error: need MAIL command\r\n');
    this.reply(tx.addRecipient(args));
  }

  private data(args: string): void {
    const tx = this.tx;
    if (!tx) return this.reply('503 5.5.1 Error: need MAIL command\r\n');
    if (tx.chunked) return this.reply('503 5.5.1 Error: DATA after BDAT\r\n');
    if (tx.recipients.length === 0) return this.reply('554 5.5.1 Error: no valid recipients\r\n');
    if (args !== '') return this.reply('501 5.5.4 Syntax: DATA\r\n');
    this.reply('354 End data with <CR><LF>.<CR><LF>\r\n');
    if (tx.fault.drop) return this.drop();
    tx.startFile(this.disk);
    this.dot.reset();
    this.state = 'DATA';
  }

  /** Forgets the transaction; a message file not yet kept is removed. */
  private endTransaction(): void {
    this.tx?.discard();
    this.tx = undefined;
  }

  /** Message bytes, to the transaction under way (none: a refused BDAT's bytes are read and dropped). */
  private readonly content = (buffer: Buffer, start: number, end: number): void => this.tx?.content(buffer, start, end);

  private readData(): boolean {
    const { consumed, done } = this.dot.feed(this.input, this.content);
    this.take(consumed);
    if (!done) return false;
    this.finishMessage();
    return true;
  }

  private bdat(args: string): void {
    const parsed = parseBdat(args.trim());
    if (!parsed) return this.reply('501 5.5.4 Syntax: BDAT size [LAST]\r\n');
    const tx = this.tx;
    let error: string | undefined;
    if (!tx) error = '503 5.5.1 Error: need MAIL command\r\n';
    else if (tx.recipients.length === 0) error = '554 5.5.1 Error: no valid recipients\r\n';
    else if (tx.fault.drop) return this.drop();
    else {
      tx.chunked = true;
      tx.startFile(this.disk);
    }
    this.chunk = { left: parsed.size, size: parsed.size, last: parsed.last, error };
    this.state = 'BDAT';
    if (parsed.size === 0) this.endChunk();
  }

  private readChunk(): boolean {
    const chunk = this.chunk;
    if (!chunk) return false;
    const take = Math.min(chunk.left, this.input.length);
    if (!chunk.error) this.content(this.input, 0, take);
    this.take(take);
    chunk.left -= take;
    if (chunk.left > 0) return false;
    this.endChunk();
    return true;
  }

  private endChunk(): void {
    const chunk = this.chunk;
    this.chunk = undefined;
    this.state = 'COMMAND';
    if (!chunk) return;
    if (chunk.error) {
      this.endTransaction();
      return this.reply(chunk.error);
    }
    if (this.tx?.tooBig || chunk.last) return this.finishMessage();
    this.reply(`250 2.0.0 ${chunk.size} octets received\r\n`);
  }

  /** The final reply (LMTP: one per recipient) for the message just read. */
  private finishMessage(): void {
    const tx = this.tx;
    this.tx = undefined;
    this.state = 'COMMAND';
    if (!tx) return;
    const ending = tx.finish();
    if ('later' in ending) this.outbox.replyLater(ending.later);
    else this.reply(ending.reply);
    const { message } = ending;
    const onMessage = this.options.onMessage;
    // A message saved with --save is told of once its file is kept (not when keeping failed).
    if (message && onMessage) this.outbox.then(() => (message.file !== undefined || !this.context.store ? onMessage(message) : undefined));
  }

  // ---- Ending ----

  /** Sends `last`, after every reply before it, then closes. */
  private close(last: string): void {
    if (this.state === 'CLOSED') return;
    this.state = 'CLOSED';
    this.input = EMPTY;
    this.reply(last);
    this.outbox.then(() => {
      this.socket.end();
    });
  }

  /** --disconnect-rate: the 354 (or the replies before BDAT) go out, then the connection is cut. */
  private drop(): void {
    this.state = 'CLOSED';
    this.input = EMPTY;
    this.outbox.then(async () => {
      const socket = this.socket;
      await new Promise<void>((resolve) => socket.write('', () => resolve()));
      this.context.stats.dropped++;
      socket.destroy();
    });
  }
}
