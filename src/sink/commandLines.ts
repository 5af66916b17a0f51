// Command and AUTH lines as the sink reads them: up to LF (a CR before it dropped), at most
// MAX_COMMAND_LINE bytes. A longer line is answered once, when it passes the bound, and the
// rest of it is skipped up to its end — the sink never holds more than one line's worth.
// What a read found is left on the reader (no object a line: a sink reads millions).
import { MAX_COMMAND_LINE } from './options.js';

const LF = 0x0a;
const CR = 0x0d;

export class CommandLines {
  /** The last read found a line end: the input after what it used is the next unit. */
  ended = false;
  /** The line the last read found, when there is one to act on (not a long one, nor the rest of one). */
  line?: string;
  /** The line has just passed the bound: answer it, once. */
  tooLong = false;
  /** The rest of an overlong line, already answered, is being skipped. */
  private skipping = false;

  /** Reads the next line of `input`; returns the bytes used (all of it while a long line is skipped). */
  read(input: Buffer): number {
    this.line = undefined;
    this.tooLong = false;
    const lf = input.indexOf(LF);
    if (lf < 0) {
      this.ended = false;
      if (input.length <= MAX_COMMAND_LINE + 1) return 0;
      this.tooLong = !this.skipping;
      this.skipping = true;
      return input.length;
    }
    this.ended = true;
    const end = lf > 0 && input[lf - 1] === CR ? lf - 1 : lf;
    const skipped = this.skipping;
    this.skipping = false;
    if (skipped) return lf + 1;
    if (end > MAX_COMMAND_LINE) this.tooLong = true;
    else this.line = input.toString('utf8', 0, end);
    return lf + 1;
  }
}
