// --save DIR: each message is written while it arrives to a hidden temporary file in DIR
// (.<random>-<n>.tmp, mode 0600), exactly as received (after dot-unstuffing for DATA). An
// accepted message's file is renamed to DIR/<queue id>.eml before the 250 is sent: a rename
// within one directory is atomic, so a reader of DIR never sees a half-written .eml. A refused
// or aborted message's file is removed, and the sink waits for that before it says it stopped.
// fs.promises, not node:fs/promises: it loads on first use, not at every mailprobe start.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { MessageFile, type DiskBudget } from './messageFile.js';

export class MessageStore {
  private ready?: Promise<unknown>;
  /** Temporary names differ from those of another sink saving to the same directory. */
  private readonly tempPrefix = `.${randomBytes(4).toString('hex')}-`;
  private temps = 0;
  /** Files being kept or discarded. */
  private readonly finishing = new Set<Promise<unknown>>();

  constructor(readonly dir: string) {}

  /** Creates the directory (once); errors surface here, before the sink listens. */
  prepare(): Promise<unknown> {
    this.ready ??= fs.mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  /** A message starts: its temporary file is opened now and written as its bytes come. */
  begin(budget: DiskBudget): MessageFile {
    return new MessageFile(join(this.dir, `${this.tempPrefix}${++this.temps}.tmp`), budget);
  }

  /** The message is accepted: its path once saved, or undefined when it could not be (reply 451). */
  keep(file: MessageFile, id: string): Promise<string | undefined> {
    const target = join(this.dir, `${id}.eml`);
    return this.track(file.keep(target).then(
      () => target,
      () => undefined,
    ));
  }

  /** The message is refused or abandoned: its temporary file goes. */
  discard(file: MessageFile): void {
    void this.track(file.discard());
  }

  /** Resolves once every file handed to keep or discard so far is renamed or removed. */
  async idle(): Promise<void> {
    while (this.finishing.size > 0) await Promise.all(this.finishing);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.finishing.add(promise);
    void promise.finally(() => this.finishing.delete(promise));
    return promise;
  }
}
