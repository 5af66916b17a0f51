// --log FILE: the whole session with timestamps and direction marks. Every entry is
// written with a synchronous write, so Ctrl-C or a server reset never leaves a line
// half-written. Secrets arrive here already redacted (see the session's user lines).
import { closeSync, openSync, writeSync } from 'node:fs';
import { MailprobeError } from '../errors.js';
import { escapeBytes, escapeText } from './escape.js';

/** -> sent, <- received, ~> and <~ the same inside TLS, ** mailprobe's own notes. */
export type TranscriptMark = '->' | '<-' | '~>' | '<~' | '**';

export class Transcript {
  private fd: number | undefined;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'a', 0o600);
    } catch (error) {
      throw new MailprobeError('USAGE', `cannot write the transcript --log ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
  }

  private write(mark: TranscriptMark, text: string): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${new Date().toISOString()} ${mark} ${text}\n`);
  }

  sent(text: string, tls: boolean): void {
    this.write(tls ? '~>' : '->', escapeText(text));
  }

  received(bytes: Buffer, tls: boolean): void {
    this.write(tls ? '<~' : '<-', escapeBytes(bytes));
  }

  note(text: string): void {
    this.write('**', escapeText(text));
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
