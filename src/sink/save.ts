// --save DIR: each accepted message written as DIR/<queue id>.eml, exactly as received
// (after dot-unstuffing for DATA), before the 250 is sent.
// fs.promises, not node:fs/promises: it loads on first use, not at every mailprobe start.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

export class MessageStore {
  private ready?: Promise<unknown>;

  constructor(readonly dir: string) {}

  /** Creates the directory (once); errors surface here, before the sink listens. */
  prepare(): Promise<unknown> {
    this.ready ??= fs.mkdir(this.dir, { recursive: true });
    return this.ready;
  }

  /** Writes the pieces without joining them first; returns the file's path. */
  async save(id: string, pieces: Buffer[]): Promise<string> {
    await this.prepare();
    const file = join(this.dir, `${id}.eml`);
    await fs.writeFile(file, pieces, { flag: 'wx' });
    return file;
  }
}
