// --save DIR: each accepted message written as DIR/<queue id>.eml, exactly as received
// (after dot-unstuffing for DATA), before the 250 is sent.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class MessageStore {
  private ready?: Promise<unknown>;

  constructor(readonly dir: string) {}

  /** Creates the directory (once); errors surface here, before the sink listens. */
  prepare(): Promise<unknown> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  /** Writes the pieces without joining them first; returns the file's path. */
  async save(id: string, pieces: Buffer[]): Promise<string> {
    await this.prepare();
    const file = join(this.dir, `${id}.eml`);
    await writeFile(file, pieces, { flag: 'wx' });
    return file;
  }
}
