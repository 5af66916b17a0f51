// What a client's commands mean to the sink: the greeting command, STARTTLS, AUTH, the mail
// transaction (MAIL, RCPT, DATA, BDAT) and the rest, each answered in order. The session
// knows nothing of sockets: the connection (connection.ts) reads the bytes, hands it lines,
// message content and chunk ends, and does what it asks through the Wire — reply, read the
// next bytes as content or a chunk, switch to TLS, close or drop.
import type { SecureContext } from 'node:tls';
import { SinkLogin, type AuthReply } from './auth.js';
import { BdatChunk } from './bdatChunk.js';
import { parseBdat, splitCommand } from './commands.js';
import type { ContentSink } from './dotDecoder.js';
import type { FaultPlan } from './faults.js';
import type { DiskBudget } from './messageFile.js';
import { greeting, helloAnswer, startTlsRefusal, type HelloVerb } from './offers.js';
import { MAX_COMMAND_LINE, type ResolvedSinkOptions } from './options.js';
import type { MessageStore } from './save.js';
import type { SinkStats } from './stats.js';
import type { WriteBatch } from './writeBatch.js';
import { SinkTransaction } from './transaction.js';

/** What every connection of one sink shares. */
export interface SinkContext {
  readonly options: ResolvedSinkOptions;
  readonly stats: SinkStats;
  readonly faults: FaultPlan;
  readonly store?: MessageStore;
  readonly secureContext?: SecureContext;
  /** Where every connection's replies wait for the end of the loop's turn. */
  readonly batch: WriteBatch;
  nextId(): string;
  /** The sink is shutting down: no new transactions. */
  closing: boolean;
}

/** What the session asks of its connection. */
export interface SinkWire {
  reply(text: string): void;
  /** A reply whose text is known only after some work (saving the message). */
  replyLater(make: () => Promise<string>): void;
  /** Runs `action` once every reply so far has been written. */
  then(action: () => void | Promise<void>): void;
  /** The next bytes are DATA content, up to the dot. */
  readData(): void;
  /** The next bytes are this BDAT chunk. */
  readChunk(chunk: BdatChunk): void;
  /** After the replies so far, TLS starts on the connection; what was pipelined is dropped. */
  startTls(secureContext: SecureContext): void;
  /** Sends `last` after every reply before it, then closes. */
  close(last: string): void;
  /** --disconnect-rate: the replies so far go out, then the connection is cut. */
  drop(): void;
  /** With --save: this connection's bytes waiting for the disk. */
  readonly disk?: DiskBudget;
}

export const SHUTDOWN = '421 4.3.2 Service shutting down, closing transmission channel\r\n';
const NEED_MAIL = '503 5.5.1 Error: need MAIL command\r\n';

export class SinkSession {
  private hello: 'none' | HelloVerb = 'none';
  private tls = false;
  /** The next line answers an AUTH challenge. */
  private awaitingAuth = false;
  /** Made at the first AUTH: most sessions never log in. */
  private loginState?: SinkLogin;
  private tx?: SinkTransaction;
  private readonly options: ResolvedSinkOptions;

  constructor(
    private readonly wire: SinkWire,
    private readonly context: SinkContext,
  ) {
    this.options = context.options;
  }

  private get login(): SinkLogin {
    return (this.loginState ??= new SinkLogin(this.options.auth, () => this.context.stats.authFailed++));
  }

  greeting(): string {
    return greeting(this.options);
  }

  /** A whole line from the client: a command, or a response to an AUTH challenge. */
  line(line: string): void {
    if (this.awaitingAuth) this.authReply(this.login.response(line));
    else this.command(line);
  }

  lineTooLong(): void {
    if (this.awaitingAuth) {
      this.loginState?.abort();
      this.awaitingAuth = false;
    }
    this.wire.reply(`500 5.5.2 Error: line too long (over ${MAX_COMMAND_LINE} bytes)\r\n`);
  }

  /** TLS is on: everything said in plaintext is forgotten (RFC 3207 §4.2). */
  tlsStarted(): void {
    this.tls = true;
    this.hello = 'none';
    this.endTransaction();
    this.loginState?.forget();
  }

  /** The connection has closed: a message cut off mid-way leaves no file. */
  closed(): void {
    this.endTransaction();
  }

  private command(line: string): void {
    const { verb, args } = splitCommand(line);
    const { wire } = this;
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
        return wire.reply('250 2.0.0 Ok\r\n');
      case 'NOOP':
        return wire.reply('250 2.0.0 Ok\r\n');
      case 'VRFY':
        return wire.reply('252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n');
      case 'QUIT':
        return wire.close('221 2.0.0 Bye\r\n');
      case '':
        return wire.reply('500 5.5.2 Error: empty command\r\n');
      default:
        return wire.reply('502 5.5.2 Error: command not recognized\r\n');
    }
  }

  private greet(verb: HelloVerb, name: string): void {
    const answer = helloAnswer(verb, name, this.options, { starttls: !!this.context.secureContext && !this.tls, auth: this.authOffered() });
    if (answer.accepted) {
      this.endTransaction();
      this.hello = verb;
    }
    this.wire.reply(answer.reply);
  }

  /** With a certificate, AUTH waits for TLS; without one there is no TLS to wait for. */
  private authOffered(): boolean {
    return !this.context.secureContext || this.tls;
  }

  private startTls(args: string): void {
    const secureContext = this.context.secureContext;
    if (!secureContext) return this.wire.reply('502 5.5.1 Error: STARTTLS not available\r\n');
    const refusal = startTlsRefusal(this.tls, args);
    if (refusal) return this.wire.reply(refusal);
    this.wire.reply('220 2.0.0 Ready to start TLS\r\n');
    this.wire.startTls(secureContext);
  }

  private authReply({ reply, awaiting }: AuthReply): void {
    this.awaitingAuth = awaiting;
    this.wire.reply(reply);
  }

  // ---- The mail transaction ----

  private mail(args: string): void {
    const { wire } = this;
    if (this.hello === 'none') return wire.reply(`503 5.5.1 Error: send ${this.options.lmtp ? 'LHLO' : 'HELO/EHLO'} first\r\n`);
    if (this.tx) return wire.reply('503 5.5.1 Error: nested MAIL command\r\n');
    if (this.context.closing) return wire.close(SHUTDOWN);
    const begun = SinkTransaction.begin(args, this.context);
    if (typeof begun === 'string') return wire.reply(begun);
    this.tx = begun;
    wire.reply('250 2.1.0 Ok\r\n');
  }

  private rcpt(args: string): void {
    const tx = this.tx;
    this.wire.reply(tx ? tx.addRecipient(args) : NEED_MAIL);
  }

  private data(args: string): void {
    const { tx, wire } = this;
    if (!tx) return wire.reply(NEED_MAIL);
    const refusal = tx.refuseContent('DATA');
    if (refusal) return wire.reply(refusal);
    if (args !== '') return wire.reply('501 5.5.4 Syntax: DATA\r\n');
    wire.reply('354 End data with <CR><LF>.<CR><LF>\r\n');
    if (tx.fault.drop) return wire.drop();
    tx.startFile(wire.disk);
    wire.readData();
  }

  private bdat(args: string): void {
    const parsed = parseBdat(args.trim());
    if (!parsed) return this.wire.reply('501 5.5.4 Syntax: BDAT size [LAST]\r\n');
    const tx = this.tx;
    // A refused chunk is still read (its bytes are no commands), then answered.
    const error = tx ? tx.refuseContent('BDAT') : NEED_MAIL;
    if (tx && !error) {
      if (tx.fault.drop) return this.wire.drop();
      tx.chunked = true;
      tx.startFile(this.wire.disk);
    }
    const chunk = new BdatChunk(parsed.size, parsed.last, error);
    if (parsed.size === 0) return this.chunkEnded(chunk);
    this.wire.readChunk(chunk);
  }

  /** Message bytes, to the transaction under way (none: a refused BDAT's bytes are read and dropped). */
  readonly content: ContentSink = (buffer, start, end) => this.tx?.content(buffer, start, end);

  /** The dot that ends DATA content was read. */
  dataEnded(): void {
    this.finishMessage();
  }

  /** A BDAT chunk was read whole. */
  chunkEnded(chunk: BdatChunk): void {
    if (chunk.error) {
      this.endTransaction();
      return this.wire.reply(chunk.error);
    }
    if (this.tx?.tooBig || chunk.last) return this.finishMessage();
    this.wire.reply(`250 2.0.0 ${chunk.size} octets received\r\n`);
  }

  /** Forgets the transaction; a message file not yet kept is removed. */
  private endTransaction(): void {
    this.tx?.discard();
    this.tx = undefined;
  }

  /** The final reply (LMTP: one per recipient) for the message just read. */
  private finishMessage(): void {
    const tx = this.tx;
    this.tx = undefined;
    if (!tx) return;
    const ending = tx.finish();
    if ('later' in ending) this.wire.replyLater(ending.later);
    else this.wire.reply(ending.reply);
    const { message } = ending;
    const onMessage = this.options.onMessage;
    // A message saved with --save is told of once its file is kept (not when keeping failed).
    if (message && onMessage) this.wire.then(() => (message.file !== undefined || !this.context.store ? onMessage(message) : undefined));
  }
}
