// The session after connecting: server lines shown the moment they arrive, the user's
// lines sent verbatim (a TTY line at once; piped lines each when the last reply is in,
// DATA content straight through to the final dot), helper commands run, a STARTTLS
// typed by hand performed, and an orderly end on end of input, Ctrl-D, Ctrl-C or the
// server closing.
import type { Readable, Writable } from 'node:stream';
import { parseScriptLine, unmetExpectation, type QuitStage } from './script.js';
import { EXIT_CODES, MailprobeError, timeoutError } from '../errors.js';
import type { Reply } from '../protocols/types.js';
import { verbOf } from '../protocols/framerBase.js';
import type { Printer } from '../terminal/printer.js';
import { Annotator, challengeText } from './annotations.js';
import { CapabilityWatch } from './capabilityWatch.js';
import { checkVerdict, type Established } from '../client/establish.js';
import { credentialRefusal } from '../client/credentials.js';
import { followEnvelope, type HelperContext } from './helpers/context.js';
import { runHelperFor, type HelperRun } from './helpers/run.js';
import { parseHelperLine } from './helpers/index.js';
import { LineInput } from './lineInput.js';
import type { SessionOptions } from '../client/options.js';
import { findSecret } from '../client/secrets.js';
import { startTerminalInput, type TerminalInput } from './terminalInput.js';
import { UserLineState, type UserLine } from './userLines.js';
import { isExpectation, MessageContent, WAIT_FOR_WRITE } from './content.js';
import { ReplyWatchdog } from './replyWatch.js';

/** How much may wait to be sent before the session stops reading input (see pump). */
const OUTGOING_QUEUE_BYTES = 1 << 20;

export interface SessionIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Registers a Ctrl-C handler; returns a function that removes it. */
  onInterrupt?(handler: () => void): () => void;
}

export class Session {
  private readonly connection;
  private readonly dialogue;
  private readonly capabilities: CapabilityWatch;
  private annotator: Annotator;
  private userLines: UserLineState;
  private readonly envelope: HelperContext['envelope'] = { to: [] };
  private piped?: LineInput;
  private terminal?: TerminalInput;
  /** A helper runs or a question is open: lines wait (while TLS starts, the connection's phase says so). */
  private helperRunning = false;
  private inputEnded = false;
  private readonly message: MessageContent;
  private finish!: (code: number) => void;
  private readonly typedWhileBusy: string[] = [];
  private quitTimer?: NodeJS.Timeout;
  /** Piped and scripted sessions: how long the server may take over an owed reply. */
  private readonly replyWatch: ReplyWatchdog;
  /** Lines taken from the input so far (script line numbers). */
  private lineNumber = 0;
  /** --quit-after was reached: no more input is sent. */
  private quitting = false;
  private ended = false;

  constructor(
    established: Established,
    private readonly options: SessionOptions,
    private readonly printer: Printer,
    private readonly io: SessionIo,
    private readonly script?: Readable,
  ) {
    this.connection = established.connection;
    this.message = new MessageContent(this.connection, printer, options, () => this.pump());
    this.replyWatch = new ReplyWatchdog(options.timeoutMs, () => this.replySilent());
    this.dialogue = established.context;
    this.capabilities = new CapabilityWatch(this.connection.protocol, printer);
    this.annotator = new Annotator(this.connection.protocol);
    this.userLines = new UserLineState(this.connection.protocol, this.dialogue);
    if (established.capabilities) this.capabilities.update(established.capabilities, !!this.connection.tls);
  }

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    const connection = this.connection;
    connection.onLines = (lines) => this.printer.server(lines, this.annotator.annotate);
    connection.onReply = (reply, command) => this.onReply(reply, command);
    connection.onIdle = () => this.resume();
    connection.onAnyReply = () => this.watchReplies();
    connection.onClose = (error) => this.onServerClose(error);
    connection.socket.on('drain', () => this.pump());
    const removeInterrupt = this.io.onInterrupt?.(() => this.end(EXIT_CODES.INTERRUPTED));
    if (this.io.stdin.isTTY && !this.script) {
      this.terminal = await startTerminalInput(this.io.stdin, this.io.stdout, this.printer, {
        line: (line) => this.typed(line),
        end: () => this.inputEnd(),
        interrupt: () => this.end(EXIT_CODES.INTERRUPTED),
      });
    } else {
      this.piped = new LineInput(this.script ?? this.io.stdin, () => this.pump());
    }
    if (connection.closed) this.onServerClose();
    // Stages the connection has already passed (STARTTLS mode did TLS and EHLO).
    else if (connection.tls && connection.greeted && (this.options.quitAfter === 'tls' || this.options.quitAfter === 'ehlo')) this.reached(this.options.quitAfter);
    // A protocol that does not greet (IRC) has no banner to wait for: connected is that stage.
    else if (connection.protocol.greets === false && this.options.quitAfter === 'banner') this.reached('banner');
    // In plaintext and implicit TLS the greeting comes in the session: time it out here.
    else if (connection.outstanding > 0 && connection.bytesReceived === 0) {
      connection.reply('greeting').catch((error: unknown) => {
        if (!connection.closed) this.fail(error);
      });
    }
    return done.then((code) => {
      removeInterrupt?.();
      return code;
    });
  }

  /** TLS is being set up or a helper runs: lines wait (the connection's phase says which for TLS). */
  private busy(): boolean {
    const phase = this.connection.phase;
    return this.helperRunning || phase === 'STARTTLS_REPLY' || phase === 'HANDSHAKE';
  }

  /** Piped and scripted sessions: the limit on an owed reply starts over (replyWatch.ts). */
  private watchReplies(): void {
    if (this.piped && !this.ended) this.replyWatch.arm(this.connection.outstanding > 0);
  }

  private replySilent(): void {
    if (this.ended || this.connection.outstanding === 0 || this.busy()) return;
    this.fail(timeoutError('REPLY_TIMEOUT', `no reply from the server after ${this.options.timeoutMs / 1000} s`, { hint: 'raise -timeout if the server is just slow' }));
  }

  /** Something finished (a reply, TLS, a helper): send what waits. */
  private resume(): void {
    this.watchReplies();
    if (this.busy()) return;
    if (this.connection.greeted) for (const line of this.typedWhileBusy.splice(0)) this.typed(line);
    this.pump();
  }

  /** A line the user typed on the terminal: sent at once, unless the greeting, TLS or a helper is awaited. */
  private typed(line: string): void {
    const helper = this.connection.framer.inContent() || this.options.raw ? undefined : parseHelperLine(line);
    // Helpers, and the data of an IMAP literal, wait until the server has answered.
    const waitForIdle = (helper?.kind === 'helper' || this.userLines.literalPending) && this.connection.outstanding > 0;
    if (this.busy() || !this.connection.greeted || waitForIdle) {
      this.typedWhileBusy.push(line);
      return;
    }
    this.handle(line);
  }

  /** Sends piped lines while the server owes no reply (and all of DATA content at once). */
  private pump(): void {
    const input = this.piped;
    if (!input || this.busy() || this.connection.closed || this.quitting) return;
    const { connection } = this;
    const socket = connection.socket;
    socket.cork();
    try {
      while ((connection.outstanding === 0 || connection.framer.inContent()) && input.hasLine()) {
        // Up to ~1 MB may wait in the socket: its own 16 KB mark would cost a turn of the
        // event loop per 16 KB of a large message.
        if (socket.writableLength >= OUTGOING_QUEUE_BYTES) return;
        // In a script, an EXPECT right after DATA checks the 354; later lines are message text.
        const expectsNext = !!this.script && !this.message.started && isExpectation(input.peek() ?? '');
        // Message content goes out in batches, uncorked: a batch corked with other writes
        // reaches TLS as a writev, which TLS first copies into one new buffer.
        if (connection.framer.inContent() && !expectsNext) {
          socket.uncork();
          const sent = this.message.batch(input);
          socket.cork();
          if (sent === WAIT_FOR_WRITE) return;
          this.lineNumber += sent;
          if (sent > 0) continue;
        }
        const line = input.shift() as string;
        this.lineNumber++;
        if (connection.framer.inContent() && !expectsNext) {
          if (this.message.line(line)) this.watchReplies();
        } else if (this.script) this.scriptLine(line);
        else this.handle(line);
        if (this.ended) return;
        if (this.busy() || connection.closed) break;
      }
    } finally {
      socket.uncork();
      this.message.sendWhenIdle(input.done());
    }
    if (input.done() && connection.outstanding === 0 && !this.busy()) this.inputEnd();
  }

  /** A script line: a comment, an expectation about the last reply, or a line to send. */
  private scriptLine(line: string): void {
    const parsed = parseScriptLine(line);
    if (parsed.kind === 'send') return this.handle(parsed.line);
    const unmet = unmetExpectation(parsed, line, this.lineNumber, this.connection.protocol, this.connection.lastReply);
    if (unmet) this.fail(unmet);
  }

  /** --quit-after: the stage is done, so say goodbye and send nothing more. */
  private reached(stage: QuitStage): void {
    if (stage !== this.options.quitAfter || this.quitting) return;
    this.quitting = true;
    this.printer.note(`quitting after ${stage} as asked`);
    this.sayGoodbye();
  }

  /** One command line from the user: a helper, or a line for the server. */
  private handle(line: string): void {
    const helper = this.connection.framer.inContent() || this.options.raw ? undefined : parseHelperLine(line);
    if (helper?.kind === 'helper') {
      void this.runHelper(helper.helper.run.bind(helper.helper), helper.args);
      return;
    }
    if (helper?.kind === 'unknown') {
      const error = new MailprobeError('USAGE', `unknown helper ":${helper.name}"`, { hint: ':help lists them; start the line with "::" to send it as it is' });
      if (this.piped) this.fail(error);
      else this.printer.error(error);
      return;
    }
    this.sendUserLine(helper?.kind === 'verbatim' ? helper.line : line);
  }

  private sendUserLine(line: string): void {
    const translated = this.userLines.translate(line);
    if (translated.discard) {
      this.userLines.dropped(translated);
      this.printer.result('not sent: part of the declined command');
      return;
    }
    const refusal = translated.credentials ? credentialRefusal(this.connection, this.options) : undefined;
    if (refusal) {
      if (!this.terminal) {
        this.fail(refusal);
        return;
      }
      // On a terminal the user decides; nothing else is sent while the question is open.
      this.helperRunning = true;
      const why = this.connection.tls ? 'the server\'s certificate did not verify' : 'the connection is not encrypted';
      void this.terminal.confirm(`This line carries credentials and ${why}. Send it anyway? [y/N] `).then((yes) => {
        this.helperRunning = false;
        if (yes) this.sendTranslated(translated);
        else {
          this.userLines.declined(translated);
          this.printer.result('not sent');
        }
        this.resume();
      });
      return;
    }
    this.sendTranslated(translated);
  }

  private sendTranslated(translated: UserLine): void {
    this.userLines.sent(translated);
    followEnvelope(this.envelope, this.connection.protocol, translated.wire);
    this.annotator.sent(translated.wire);
    // A line mailprobe changed (a tag added) is always shown as sent.
    const echo = translated.rewritten || (!!this.piped && !this.options.quiet);
    try {
      this.connection.sendLine(translated.wire, { by: 'user', echo, encoding: this.piped ? 'latin1' : 'utf8', shown: translated.shown });
    } catch (error) {
      this.fail(error);
      return;
    }
    this.watchReplies();
  }

  private async runHelper(run: HelperRun, args: string): Promise<void> {
    this.helperRunning = true;
    const outcome = await runHelperFor(this.connection, this.helperContext(), run, args, { scripted: !!this.piped });
    this.helperRunning = false;
    if (outcome) return this.fail(outcome.failed);
    this.resume();
  }

  private helperContext(): HelperContext {
    return {
      connection: this.connection,
      protocol: this.connection.protocol,
      dialogue: this.dialogue,
      printer: this.printer,
      options: this.options,
      capabilities: this.capabilities,
      envelope: this.envelope,
      secret: (given, question) =>
        findSecret(given, { env: this.io.env, passFile: this.options.passFile, prompt: this.terminal?.askSecret }, question),
      quit: async () => this.sayGoodbye(),
      reached: (stage) => this.reached(stage),
    };
  }

  private onReply(reply: Reply, command: string): void {
    const { connection } = this;
    const capabilities = connection.protocol.capabilitiesFrom?.(command, reply);
    if (capabilities) this.capabilities.update(capabilities, !!connection.tls);
    const wasSasl = this.userLines.saslActive;
    this.userLines.replied(reply.last.tone === 'intermediate', challengeText(connection.protocol, reply.last));
    if (this.options.quitAfter) {
      const stage = wasSasl && reply.last.tone === 'ok' ? 'auth' : connection.protocol.stageOf(command, reply);
      // An implicit-TLS session has done its TLS stage once the greeting is in.
      if (stage === 'banner' && connection.tls) this.reached('tls');
      if (stage === 'rcpt' && /^RCPT\b/i.test(this.piped?.peek() ?? '')) return; // quit after the last recipient
      if (stage) this.reached(stage);
    }
    if (connection.awaitingHandshake()) void this.upgradeByHand();
  }

  private async upgradeByHand(): Promise<void> {
    this.printer.note('the server said go ahead: starting the TLS handshake');
    try {
      const info = await this.connection.upgrade(this.options.tls);
      checkVerdict(info, this.options);
      // What was learned before TLS no longer counts: capabilities, tags, exchanges under way.
      this.capabilities.forget();
      this.annotator = new Annotator(this.connection.protocol);
      this.userLines = new UserLineState(this.connection.protocol, this.dialogue);
      const ask = this.connection.protocol.capabilityCommand?.({ ...this.dialogue, nextTag: () => '' });
      if (ask) this.printer.note(`TLS is up: what the server said before no longer counts; ask again with ${verbOf(ask.trim())}`);
    } catch (error) {
      this.fail(error);
      return;
    }
    this.resume();
  }

  /** QUIT/LOGOUT (once), then wait for the server to close; close ourselves if it does not. */
  private sayGoodbye(): void {
    const { connection } = this;
    if (connection.closed) return this.end(EXIT_CODES.OK);
    if (!connection.quitSent) {
      const quit = connection.protocol.quitCommand(this.dialogue);
      if (quit) connection.sendLine(quit, { by: 'mailprobe', echo: !this.options.quiet });
      else connection.socket.end();
    }
    this.quitTimer ??= setTimeout(() => connection.close(), this.options.timeoutMs);
  }

  /** End of input (pipe done, or Ctrl-D): QUIT/LOGOUT politely unless -ign_eof. */
  private inputEnd(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    const { connection } = this;
    if (connection.closed) return this.end(EXIT_CODES.OK);
    if (this.options.ignEof) return; // wait for the server to close
    if (connection.framer.inContent()) {
      this.printer.note('input ended inside message content: closing without the final "."');
      connection.close();
      return;
    }
    this.sayGoodbye();
  }

  private onServerClose(error?: MailprobeError): void {
    clearTimeout(this.quitTimer);
    // mailprobe closed it itself (Ctrl-C, a failure): nothing more to say.
    if (this.ended) return;
    if (error && !this.connection.quitSent) {
      this.fail(error);
      return;
    }
    const expected = this.connection.quitSent || this.inputEnded;
    this.printer.note(expected ? 'connection closed' : 'the server closed the connection');
    this.end(expected ? EXIT_CODES.OK : EXIT_CODES.SERVER_CLOSED);
  }

  private fail(error: unknown): void {
    // One failure is reported: the close that follows it (or a second path to it) is not.
    if (this.ended) return;
    if (error instanceof MailprobeError) {
      this.printer.error(error);
      this.end(error.exitCode);
    } else {
      this.printer.error(new MailprobeError('INTERNAL', `unexpected error: ${String(error)}`, { cause: error }));
      this.end(EXIT_CODES.INTERNAL);
    }
  }

  private end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    // A session that ends well without the stage --quit-after asked for did not do what was
    // asked (a script counting on reaching RCPT would otherwise see exit 0): exit 2, as a
    // failed EXPECT.
    if (code === EXIT_CODES.OK && this.options.quitAfter && !this.quitting) {
      const stage = this.options.quitAfter;
      const error = new MailprobeError('EXPECTATION_FAILED', `--quit-after ${stage}: the session ended before the ${stage} stage was reached`, {
        hint: 'give the lines that get there before the input ends',
      });
      this.printer.error(error);
      code = error.exitCode;
    }
    clearTimeout(this.quitTimer);
    this.replyWatch.stop();
    this.terminal?.close();
    this.piped?.stop();
    this.connection.close();
    this.printer.transcript?.close();
    this.finish(code);
  }
}
