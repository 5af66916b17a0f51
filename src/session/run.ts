// The session after connecting: server lines shown the moment they arrive, the user's
// lines sent verbatim (a TTY line at once; piped lines each when the last reply is in,
// DATA content straight through to the final dot), a STARTTLS typed by hand performed,
// and an orderly end on end of input, Ctrl-D, Ctrl-C or the server closing.
import type { Readable, Writable } from 'node:stream';
import { EXIT_CODES, MailprobeError } from '../errors.js';
import type { Reply } from '../protocols/types.js';
import type { Printer } from '../terminal/printer.js';
import { checkVerdict, establish, showTls, type Established } from './establish.js';
import { LineInput } from './lineInput.js';
import type { SessionOptions } from './options.js';
import { startTerminalInput, type TerminalInput } from './terminalInput.js';

export interface SessionIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  /** Registers a Ctrl-C handler; returns a function that removes it. */
  onInterrupt?(handler: () => void): () => void;
}

export async function runSession(options: SessionOptions, printer: Printer, io: SessionIo): Promise<number> {
  const established = await establish(options, printer);
  return new Session(established, options, printer, io).run();
}

class Session {
  private readonly connection;
  private readonly context;
  private piped?: LineInput;
  private terminal?: TerminalInput;
  private upgrading = false;
  private inputEnded = false;
  private contentLines = 0;
  private contentBytes = 0;
  private finish!: (code: number) => void;
  private readonly typedWhileBusy: string[] = [];
  private quitTimer?: NodeJS.Timeout;

  constructor(
    established: Established,
    private readonly options: SessionOptions,
    private readonly printer: Printer,
    private readonly io: SessionIo,
  ) {
    this.connection = established.connection;
    this.context = established.context;
  }

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    const connection = this.connection;
    connection.onLines = (lines) => this.printer.server(lines);
    connection.onReply = (reply) => this.onReply(reply);
    connection.onIdle = () => {
      if (this.connection.greeted) this.flushTyped();
      this.pump();
    };
    connection.onClose = (error) => this.onServerClose(error);
    connection.socket.on('drain', () => this.pump());
    const removeInterrupt = this.io.onInterrupt?.(() => this.end(EXIT_CODES.INTERRUPTED));
    if (this.io.stdin.isTTY) {
      this.terminal = await startTerminalInput(this.io.stdin, this.io.stdout, this.printer, {
        line: (line) => this.typed(line),
        end: () => this.inputEnd(),
        interrupt: () => this.end(EXIT_CODES.INTERRUPTED),
      });
    } else {
      this.piped = new LineInput(this.io.stdin, () => this.pump());
    }
    if (connection.closed) this.onServerClose();
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

  /** A line the user typed on the terminal: sent at once, unless the greeting or TLS is awaited. */
  private typed(line: string): void {
    if (this.upgrading || !this.connection.greeted) {
      this.typedWhileBusy.push(line);
      return;
    }
    this.connection.send(line, 'user', false);
  }

  private flushTyped(): void {
    for (const line of this.typedWhileBusy.splice(0)) this.typed(line);
  }

  /** Sends piped lines while the server owes no reply (and all of DATA content at once). */
  private pump(): void {
    const input = this.piped;
    if (!input || this.upgrading || this.connection.closed) return;
    const { connection } = this;
    const socket = connection.socket;
    socket.cork();
    try {
      while (input.queue.length > 0 && (connection.outstanding === 0 || connection.framer.inContent())) {
        if (socket.writableNeedDrain) return;
        const line = input.shift() as string;
        if (connection.framer.inContent()) this.content(line);
        else connection.send(line, 'user', !this.options.quiet, 'latin1');
        if (connection.answeringStartTls() || this.upgrading) break;
      }
    } finally {
      socket.uncork();
    }
    if (input.done() && connection.outstanding === 0) this.inputEnd();
  }

  /** A line of message content: sent without waiting, echoed only as a count. */
  private content(line: string): void {
    if (line === '.') {
      if (!this.options.quiet) this.printer.sent(`(message content: ${this.contentLines} lines, ${this.contentBytes} bytes)`, 'user');
      this.contentLines = 0;
      this.contentBytes = 0;
      this.connection.send(line, 'user', !this.options.quiet, 'latin1');
      return;
    }
    this.contentLines++;
    this.contentBytes += line.length + this.options.lineEnding.length;
    this.connection.send(line, 'user', false, 'latin1');
  }

  private onReply(reply: Reply): void {
    if (!this.connection.answeringStartTls()) return;
    if (!this.connection.protocol.isStartTlsGoAhead(reply)) {
      this.connection.releaseHeld();
      return;
    }
    void this.upgradeByHand();
  }

  private async upgradeByHand(): Promise<void> {
    this.upgrading = true;
    this.printer.note('the server said go ahead: starting the TLS handshake');
    try {
      const info = await this.connection.upgrade(this.options.tls);
      showTls(info, this.printer, this.options);
      checkVerdict(info, this.options);
      if (this.connection.protocol.name === 'smtp' || this.connection.protocol.name === 'lmtp') {
        this.printer.note('TLS is up: the server has forgotten the EHLO, so send it again');
      }
    } catch (error) {
      this.fail(error);
      return;
    }
    this.upgrading = false;
    this.flushTyped();
    this.pump();
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
    if (!connection.quitSent) {
      const quit = connection.protocol.quitCommand(this.context);
      if (quit) connection.send(quit, 'mailprobe', !this.options.quiet);
      else connection.socket.end();
    }
    // A server that never closes after QUIT is closed by us.
    this.quitTimer = setTimeout(() => connection.close(), this.options.timeoutMs);
  }

  private onServerClose(error?: MailprobeError): void {
    clearTimeout(this.quitTimer);
    if (error && !this.connection.quitSent) {
      this.fail(error);
      return;
    }
    const expected = this.connection.quitSent || this.inputEnded;
    this.printer.note(expected ? 'connection closed' : 'the server closed the connection');
    this.end(expected ? EXIT_CODES.OK : EXIT_CODES.SERVER_CLOSED);
  }

  private fail(error: unknown): void {
    if (error instanceof MailprobeError) {
      this.printer.error(error);
      this.end(error.exitCode);
    } else {
      this.printer.error(new MailprobeError('INTERNAL', `unexpected error: ${String(error)}`, { cause: error }));
      this.end(EXIT_CODES.INTERNAL);
    }
  }

  private end(code: number): void {
    clearTimeout(this.quitTimer);
    this.terminal?.close();
    this.piped?.stop();
    this.connection.close();
    this.finish(code);
  }
}
