// Message content the user pipes after DATA: sent without waiting, in batches of up to ~1 MB
// where the input allows, echoed only as a count, and logged line by line.
import type { ServerConnection } from '../client/connection.js';
import type { Printer } from '../terminal/printer.js';
import type { LineInput } from './lineInput.js';

/** A script line that checks the last reply (EXPECT ..., EXPECT-NOT ...). */
export const isExpectation = (line: string): boolean => /^\s*EXPECT(-NOT)?\s/i.test(line);

export class MessageContent {
  private lines = 0;
  private bytes = 0;

  constructor(
    private readonly connection: ServerConnection,
    private readonly printer: Printer,
    private readonly options: { lineEnding: '\r\n' | '\n'; quiet: boolean },
  ) {}

  /** Some of the message has gone (an EXPECT now would be message text, not a check). */
  get started(): boolean {
    return this.lines > 0;
  }

  /**
   * Sends the run of content lines at the head of the input (up to the final "." or ~1 MB)
   * as one write; returns how many lines went (0: none to batch, the "." is next).
   */
  batch(input: LineInput): number {
    const ending = this.options.lineEnding;
    const run = input.takeContent(1 << 20, ending);
    if (!run) return 0;
    this.lines += run.lines;
    this.bytes += run.bytes.length;
    if (this.printer.transcript) {
      for (const line of run.bytes.toString('latin1').split(ending).slice(0, -1)) this.printer.sent(line, 'user', false);
    }
    this.connection.sendRaw(run.bytes);
    return run.lines;
  }

  /** One line of content; true when it was the final "." (a reply is now owed). */
  line(line: string): boolean {
    if (line === '.') {
      if (!this.options.quiet) this.printer.sent(`(message content: ${this.lines} lines, ${this.bytes} bytes)`, 'user');
      this.lines = 0;
      this.bytes = 0;
      this.connection.sendLine(line, { by: 'user', echo: !this.options.quiet, encoding: 'latin1' });
      return true;
    }
    this.lines++;
    this.bytes += line.length + this.options.lineEnding.length;
    this.connection.sendLine(line, { by: 'user', echo: false, encoding: 'latin1' });
    return false;
  }
}
