// Lines from a pipe or file, read in chunks and split on LF (a CR before it is dropped:
// the session adds the line ending the user chose). Reading pauses while many lines wait.
import type { Readable } from 'node:stream';

const HIGH_WATER_LINES = 20_000;

export class LineInput {
  /** Lines read and not yet taken: items[head..]. A head index, not Array.shift(), which is
   * linear in the array's length and made a 100 MB DATA take seconds. */
  private items: string[] = [];
  private head = 0;
  ended = false;
  private partial = '';
  private paused = false;

  constructor(private readonly input: Readable, private readonly onChange: () => void) {
    input.setEncoding('latin1');
    input.on('data', (text: string) => this.receive(text));
    input.on('end', () => {
      if (this.partial) this.items.push(this.partial.replace(/\r$/, ''));
      this.partial = '';
      this.ended = true;
      this.onChange();
    });
    input.on('error', () => {
      this.ended = true;
      this.onChange();
    });
  }

  private receive(text: string): void {
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop() ?? '';
    for (const piece of pieces) this.items.push(piece.endsWith('\r') ? piece.slice(0, -1) : piece);
    if (this.size() > HIGH_WATER_LINES && !this.paused) {
      this.paused = true;
      this.input.pause();
    }
    this.onChange();
  }

  /** Lines waiting. */
  size(): number {
    return this.items.length - this.head;
  }

  /** The next line, without taking it. */
  peek(): string | undefined {
    return this.items[this.head];
  }

  shift(): string | undefined {
    const line = this.head < this.items.length ? this.items[this.head++] : undefined;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.size() < HIGH_WATER_LINES / 2) {
      this.paused = false;
      this.input.resume();
    }
    return line;
  }

  /** Everything read has been taken and nothing more will come. */
  done(): boolean {
    return this.ended && this.size() === 0;
  }

  stop(): void {
    this.input.pause();
    this.input.removeAllListeners('data');
  }
}
