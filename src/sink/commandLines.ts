// Command and AUTH lines as the sink reads them: up to LF (a CR before it dropped), at most
// MAX_COMMAND_LINE bytes. A longer line is answered once, when it passes the bound, and the
// rest of it is skipped up to its end — the sink never holds more than one line's worth.
import { MAX_COMMAND_LINE } from './options.js';

const LF = 0x0a;
const CR = 0x0d;

export interface LineRead {
  /** Bytes of the input used (all of it while a long line is skipped). */
  consumed: number;
  /** A line end was read: the input after `consumed` is the next unit. */
  ended: boolean;
  /** The line, when there is one to act on (not a long one, nor the rest of one). */
  line?: string;
  /** The line has just passed the bound: answer it, once. */
  tooLong: boolean;
}

export class CommandLines {
  /** The rest of an overlong line, already answered, is being skipped. */
  private skipping = false;

  read(input: Buffer): LineRead {
    const lf = input.indexOf(LF);
    if (lf < 0) {
      if (input.length <= MAX_COMMAND_LINE + 1) return { consumed: 0, ended: false, tooLong: false };
      const tooLong = !this.skipping;
      this.skipping = true;
      return { consumed: input.length, ended: false, tooLong };
    }
    const end = lf > 0 && input[lf - 1] === CR ? lf - 1 : lf;
    const skipped = this.skipping;
    this.skipping = false;
    if (skipped) return { consumed: lf + 1, ended: true, tooLong: false };
    if (end > MAX_COMMAND_LINE) return { consumed: lf + 1, ended: true, tooLong: true };
    return { consumed: lf + 1, ended: true, line: input.toString('utf8', 0, end), tooLong: false };
  }
}
