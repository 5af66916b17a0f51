// The reply the server is in the middle of: its lines so far, kept within the byte budget
// (bounds.ts). Of a line too long to hold, the first piece (its code or tag, marked
// `continued`) and the piece that ends it are kept; the pieces between are shown, never kept.
import type { Reply, ServerLine } from '../protocols/types.js';
import { ReplyBudget } from './bounds.js';

const ENDINGS = { crlf: Buffer.from('\r\n'), lf: Buffer.from('\n'), none: Buffer.alloc(0) };

/** A line as it came on the wire, ending included (for injection and stray evidence). */
export function serialise(line: ServerLine): Buffer {
  return Buffer.concat([line.bytes, ENDINGS[line.ending]]);
}

export class ReplyUnderWay {
  private lines: ServerLine[] = [];
  private readonly budget = new ReplyBudget();

  /** Some lines of a reply have come and it has not ended. */
  get started(): boolean {
    return this.lines.length > 0;
  }

  /** The lines so far, as they came. */
  bytes(): Buffer[] {
    return this.lines.map(serialise);
  }

  /**
   * Takes a line of the reply: 'kept', 'skipped' (the middle of an overlong line), or
   * 'over' — the budget is spent and the reply has not ended, so the line is not kept.
   */
  add(line: ServerLine): 'kept' | 'skipped' | 'over' {
    const middle = line.continued && line.ending === 'none' && this.lines.at(-1)?.ending === 'none';
    if (middle) return 'skipped';
    if (this.budget.admit(line) || line.final) {
      this.lines.push(line);
      return 'kept';
    }
    return 'over';
  }

  /** The reply `last` ended, as one Reply; the next one starts empty. */
  complete(last: ServerLine): Reply {
    const reply = { lines: this.lines, last };
    this.reset();
    return reply;
  }

  reset(): void {
    this.lines = [];
    this.budget.reset();
  }

  describeBudget(): string {
    return this.budget.describe();
  }
}
