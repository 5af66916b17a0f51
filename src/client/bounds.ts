// Byte bounds on what the connection keeps. Lines are shown as they arrive whatever their
// number; what is *kept* (the reply being built, replies that answered nothing) is capped
// in bytes, so a hostile server cannot grow mailprobe's memory with endless replies.
import type { ServerLine } from '../protocols/types.js';

/**
 * A reply kept whole for mailprobe's own use (capabilities, script expectations, helpers):
 * 1 MiB of line bytes, counted twice since each line is also held as text. The largest
 * real EHLO or CAPABILITY reply is a few KiB; a SIEVE capability list well under 64 KiB.
 */
export const MAX_REPLY_BYTES = 1 << 20;
/** And at most this many lines (100,000 one-byte lines would otherwise pass the byte cap). */
export const MAX_REPLY_LINES = 10_000;
/** Per-line overhead of a ServerLine (objects, Buffer header) counted against the budget. */
const LINE_OVERHEAD = 200;

export class ReplyBudget {
  private bytes = 0;
  private lines = 0;

  /** Counts the line; false when keeping it would pass the budget. */
  admit(line: ServerLine): boolean {
    const cost = line.bytes.length * 2 + LINE_OVERHEAD;
    if (this.lines >= MAX_REPLY_LINES || this.bytes + cost > MAX_REPLY_BYTES) return false;
    this.bytes += cost;
    this.lines++;
    return true;
  }

  reset(): void {
    this.bytes = 0;
    this.lines = 0;
  }

  describe(): string {
    return `${MAX_REPLY_LINES} lines or ${MAX_REPLY_BYTES >> 10} KiB`;
  }
}

/** Bytes kept to show in an injection report; the rest are only counted. */
const EVIDENCE_SHOWN = 4096;

/**
 * Bytes that are evidence of injection (replies that answered no command, plaintext after a
 * go-ahead): all counted, the first 4 KiB kept to show, never more.
 */
export class Evidence {
  /** Every byte added, kept or not. */
  total = 0;
  private kept: Buffer[] = [];
  private keptBytes = 0;

  add(bytes: Buffer): void {
    this.total += bytes.length;
    if (this.keptBytes >= EVIDENCE_SHOWN || bytes.length === 0) return;
    const piece = bytes.subarray(0, EVIDENCE_SHOWN - this.keptBytes);
    this.kept.push(piece);
    this.keptBytes += piece.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.kept);
  }
}
