// One mail transaction in the sink: MAIL's sender and parameters, the recipients, the
// fault injected into it, and the message as it arrives — its size against the limit and,
// with --save, the file it streams to.
import { parsePath } from './commands.js';
import type { FaultDecision } from './faults.js';
import type { DiskBudget, MessageFile } from './messageFile.js';
import { MAX_RECIPIENTS } from './options.js';
import type { SinkContext } from './session.js';
import type { SinkMessage } from './options.js';

/** How a message ends: its final reply now, or (with --save) once the file is kept. */
export type Ending = { message?: SinkMessage } & ({ reply: string } | { later: () => Promise<string> });

/** The text of a failure --fail-rate injects, for its reply code. */
export function injected(code: number): string {
  return `${String(code)[0]}.3.0 Injected failure (mailprobe sink --fail-rate)`;
}

export class SinkTransaction {
  readonly recipients: string[] = [];
  /** Message bytes so far. */
  size = 0;
  tooBig = false;
  /** Where the message is being saved, with --save (dropped once it is too big). */
  file?: MessageFile;
  /** BDAT has been used, so DATA is refused. */
  chunked = false;
  /** An injected RCPT failure has been counted. */
  private failCounted = false;

  private constructor(
    readonly from: string,
    readonly fault: FaultDecision,
    private readonly context: SinkContext,
  ) {}

  /** MAIL FROM's arguments: the transaction it starts, or the reply that refuses it. */
  static begin(args: string, context: SinkContext): SinkTransaction | string {
    const path = parsePath(args, 'FROM');
    if (!path) return '501 5.5.4 Syntax: MAIL FROM:<address>\r\n';
    const size = path.params.get('SIZE');
    if (size !== undefined) {
      if (!/^\d{1,15}$/.test(size)) return '501 5.5.4 Bad SIZE parameter\r\n';
      if (Number(size) > context.options.maxSize) return '552 5.3.4 Message size exceeds fixed limit\r\n';
    }
    context.stats.transactionStarted();
    return new SinkTransaction(path.address, context.faults.decide(), context);
  }

  /** RCPT TO's arguments: the reply (a recipient added, or why not). */
  addRecipient(args: string): string {
    const path = parsePath(args, 'TO');
    if (!path || path.address === '') return '501 5.5.4 Syntax: RCPT TO:<address>\r\n';
    if (this.recipients.length >= MAX_RECIPIENTS) return '452 4.5.3 Error: too many recipients\r\n';
    const failCode = this.fault.failCode;
    if (failCode !== undefined && this.context.options.failAt === 'rcpt') {
      if (!this.failCounted) this.context.stats.finished(failCode, 0);
      this.failCounted = true;
      return `${failCode} ${injected(failCode)}\r\n`;
    }
    this.recipients.push(path.address);
    return '250 2.1.5 Ok\r\n';
  }

  /** Why DATA or BDAT cannot start this transaction's content; undefined when it can. */
  refuseContent(command: 'DATA' | 'BDAT'): string | undefined {
    if (command === 'DATA' && this.chunked) return '503 5.5.1 Error: DATA after BDAT\r\n';
    if (this.recipients.length === 0) return '554 5.5.1 Error: no valid recipients\r\n';
    return undefined;
  }

  /** With --save, the message's file is opened as its content starts (not for a message bound to fail). */
  startFile(disk: DiskBudget | undefined): void {
    const store = this.context.store;
    if (store && disk && !this.file && this.fault.failCode === undefined) this.file = store.begin(disk);
  }

  /** Counts (and, when saving, writes) message bytes. */
  content(buffer: Buffer, start: number, end: number): void {
    const length = end - start;
    this.size += length;
    this.context.stats.bytes += length;
    if (this.size <= this.context.options.maxSize) return this.file?.write(buffer, start, end);
    this.tooBig = true;
    // The 552 comes once the message has been read; nothing more of it goes to disk.
    this.discard();
  }

  /**
   * The message has been read: its final reply (LMTP: one per recipient), counted in the
   * stats — a refusal (too big, an injected failure), or accepted and queued, which with
   * --save is said once the file is kept.
   */
  finish(): Ending {
    const { stats, store } = this.context;
    const recipients = this.recipients;
    const failCode = this.tooBig ? 552 : this.fault.failCode;
    if (failCode !== undefined) {
      this.discard();
      stats.finished(failCode, 0);
      return { reply: this.refused(failCode, this.tooBig ? '5.3.4 Message size exceeds fixed maximum message size' : injected(failCode)) };
    }
    const message: SinkMessage = { id: this.context.nextId(), from: this.from, recipients, size: this.size };
    const file = this.file;
    if (!store || !file) {
      stats.finished(250, recipients.length);
      return { message, reply: this.accepted(message.id) };
    }
    // Kept at once, not when the replies before this one are out: the store knows of it
    // now, so a sink stopping meanwhile waits for it instead of leaving the temporary file.
    const saved = store.keep(file, message.id);
    const later = async () => {
      message.file = await saved;
      if (message.file === undefined) {
        stats.finished(451, 0);
        return this.refused(451, '4.3.0 Error: could not save the message');
      }
      stats.finished(250, recipients.length);
      return this.accepted(message.id);
    };
    return { message, later };
  }

  /** An accepted message's final reply: SMTP's one, or LMTP's one per recipient naming it (RFC 2033 §4.2). */
  private accepted(id: string): string {
    if (!this.context.options.lmtp) return `250 2.0.0 Ok: queued as ${id}\r\n`;
    return this.recipients.map((rcpt) => `250 2.0.0 <${rcpt}> Ok: queued as ${id}\r\n`).join('');
  }

  /** A refused message's final reply: SMTP's one, or LMTP's the same for each recipient. */
  private refused(code: number, text: string): string {
    const reply = `${code} ${text}\r\n`;
    return this.context.options.lmtp ? reply.repeat(this.recipients.length) : reply;
  }

  /** A message file not yet kept is removed. */
  discard(): void {
    if (this.file) this.context.store?.discard(this.file);
    this.file = undefined;
  }
}
