// Lines from a pipe or file, read in chunks and split on LF (a CR before it is dropped:
// the session adds the line ending the user chose). Reading pauses while many lines wait.
import type { Readable } from 'node:stream';

const HIGH_WATER_LINES = 20_000;

export class LineInput {
  readonly queue: string[] = [];
  ended = false;
  private partial = '';
  private paused = false;

  constructor(private readonly input: Readable, private readonly onChange: () => void) {
    input.setEncoding('latin1');
    input.on('data', (text: string) => this.receive(text));
    input.on('end', () => {
      if (this.partial) this.queue.push(this.partial.replace(/\r$/, ''));
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
    for (const piece of pieces) this.queue.push(piece.endsWith('\r') ? piece.slice(0, -1) : piece);
    if (this.queue.length > HIGH_WATER_LINES && !this.paused) {
      this.paused = true;
      this.input.pause();
    }
    this.onChange();
  }

  shift(): string | undefined {
    const line = this.queue.shift();
    if (this.paused && this.queue.length < HIGH_WATER_LINES / 2) {
      this.paused = false;
      this.input.resume();
    }
    return line;
  }

  /** Everything read has been taken and nothing more will come. */
  done(): boolean {
    return this.ended && this.queue.length === 0;
  }

  stop(): void {
    this.input.pause();
    this.input.removeAllListeners('data');
  }
}
