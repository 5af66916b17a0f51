// Message content the user pipes after DATA: sent without waiting for replies, in batches of
// up to 512 KB, echoed only as a count, and logged line by line.
import type { ServerConnection } from '../client/connection.js';
import type { Printer } from '../terminal/printer.js';
import type { LineInput } from './lineInput.js';
import { BATCH_BYTES, ContentBatch } from './lineScan.js';

/** A script line that checks the last reply (EXPECT ..., EXPECT-NOT ...). */
export const isExpectation = (line: string): boolean => /^\s*EXPECT(-NOT)?\s/i.test(line);

/** Input quiet this long has paused: what is staged goes. */
const QUIET_MS = 1;

/** What batch() returns when content must wait for the write under way (onWritten says when). */
export const WAIT_FOR_WRITE = -1;

export class MessageContent {
  private lines = 0;
  private bytes = 0;
  /** Content staged and not yet sent (see ContentBatch). */
  private staged?: ContentBatch;
  /** Content writes under way; the end of each calls onWritten. */
  private writing = 0;
  /** The check for a pause in the input (see flushWhenQuiet). */
  private quietCheck?: NodeJS.Timeout;

  constructor(
    private readonly connection: ServerConnection,
    private readonly printer: Printer,
    private readonly options: { lineEnding: '\r\n' | '\n'; quiet: boolean },
    /** A content write is done: what was staged meanwhile may go now. */
    private readonly onWritten: () => void,
  ) {}

  /** Some of the message has gone (an EXPECT now would be message text, not a check). */
  get started(): boolean {
    return this.lines > 0;
  }

  /**
   * Takes the run of content lines at the head of the input (up to the final "." or a batch)
   * into the batch being staged; returns how many lines it took (0: none, the "." is next),
   * or WAIT_FOR_WRITE. One content write at a time: a batch filled while one is under way
   * waits for it, and so does the input after it. Two at once would queue in the TLS
   * socket, which hands queued writes to TLS as one writev, and TLS first copies a writev
   * into one new buffer. A line longer than a batch, or content when no batch is free, goes
   * as read.
   */
  batch(input: LineInput): number {
    const ending = this.options.lineEnding;
    this.staged ??= ContentBatch.open();
    if (this.staged) {
      const lines = input.stageContent(this.staged, BATCH_BYTES, ending);
      this.lines += lines;
      if (this.staged.room === 0 || (lines === 0 && this.staged.used > 0)) {
        // Full, or the next line does not fit: this batch goes, once no write is under way.
        if (this.writing > 0) return lines > 0 ? lines : WAIT_FOR_WRITE;
        this.flush();
        if (lines === 0) return this.batch(input);
      }
      if (lines > 0) return lines;
    }
    if (this.writing > 0) return WAIT_FOR_WRITE;
    this.flush();
    const run = input.takeContent(BATCH_BYTES, ending);
    if (!run) return 0;
    this.lines += run.lines;
    this.send(run.bytes, this.onWritten);
    return run.lines;
  }

  /**
   * Sends what is staged once no content write is under way and input pauses: a batch
   * grows meanwhile, so a pipe's 64 KB reads do not each cost a write through TLS (each
   * write has a cost of its own, ~0.1 ms). Input that goes on past half a batch sends it.
   */
  sendWhenIdle(inputEnded: boolean): void {
    if (inputEnded) return this.flush();
    if (this.writing > 0 || !this.staged) return;
    if (this.staged.used >= BATCH_BYTES / 2) return this.flush();
    this.flushWhenQuiet();
  }

  /** Flushes once a millisecond has brought no more content (a pipe's next read comes sooner while it flows). */
  private flushWhenQuiet(): void {
    if (this.quietCheck) return;
    const used = this.staged?.used;
    this.quietCheck = setTimeout(() => {
      this.quietCheck = undefined;
      if (!this.staged || this.writing > 0) return;
      if (this.staged.used !== used && this.staged.used < BATCH_BYTES / 2) return this.flushWhenQuiet();
      this.flush();
    }, QUIET_MS);
    // The connection keeps the process up while there is anything to send; this timer must not.
    this.quietCheck.unref();
  }

  /** Sends what is staged (before any other content, and at the end of input). */
  flush(): void {
    const batch = this.staged;
    if (!batch) return;
    this.staged = undefined;
    if (batch.used === 0) return batch.release();
    this.send(batch.bytes(), () => {
      batch.release();
      this.onWritten();
    });
  }

  /** Every content write says when it is done: content staged meanwhile waits for that. */
  private send(bytes: Buffer, written: () => void): void {
    this.bytes += bytes.length;
    if (this.printer.transcript) {
      const ending = this.options.lineEnding;
      for (const line of bytes.toString('latin1').split(ending).slice(0, -1)) this.printer.sent(line, 'user', false);
    }
    this.writing++;
    this.connection.sendRaw(bytes, () => {
      this.writing--;
      written();
    });
  }

  /** One line of content; true when it was the final "." (a reply is now owed). */
  line(line: string): boolean {
    this.flush();
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
