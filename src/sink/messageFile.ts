// One message being saved (--save DIR): its bytes go to a hidden temporary file in DIR while
// they arrive, so a message costs the sink no more memory at 2 GB than at 2 KB. The file is
// kept (renamed to its final name) or discarded (removed) by the MessageStore.
//
//   OPENING ──opened──▶ OPEN ──keep (renamed) / discard (removed)──▶ CLOSED
//      └─────error──────┴──▶ FAILED ──keep (fails: 451) / discard──▶ CLOSED
//   (discard can come in any phase: the file goes once the open and writes under way end)
//
// Bytes are copied into blocks, so the socket's buffers are let go at once: what is held is
// what is counted plus the rest of the block being filled, which is 4 KiB at first and
// doubles up to 64 KiB (a pipelined run of small messages does not hold 64 KiB each). One
// writev at a time takes every block filled since the last one. Bytes not yet on disk count
// against the connection's DiskBudget, which stops the connection reading its socket at
// 256 KiB: a client faster than the disk waits in TCP, not in the sink's memory.
// fs.promises, not node:fs/promises: it loads on first use, not at every mailprobe start.
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** A message's first block; each next one is twice the last, up to BLOCK. */
const FIRST_BLOCK = 4 * 1024;
/** The largest block; a writev takes the filled part of every block queued. */
const BLOCK = 64 * 1024;
/**
 * Bytes of one connection waiting for the disk before the connection stops reading. It can
 * go one socket read (64 KiB) over: ~320 KiB a connection, plus the blocks' unfilled rest.
 */
export const DISK_HIGH_WATER = 256 * 1024;

/** What one connection has waiting for the disk, over all its messages (one being read, others being kept). */
export class DiskBudget {
  private queued = 0;

  /** `onRoom` is called when the queue falls back under the mark. */
  constructor(private readonly onRoom: () => void) {}

  /** Stop reading the socket until `onRoom`. */
  get full(): boolean {
    return this.queued >= DISK_HIGH_WATER;
  }

  add(bytes: number): void {
    this.queued += bytes;
  }

  release(bytes: number): void {
    const wasFull = this.full;
    this.queued -= bytes;
    if (wasFull && !this.full) this.onRoom();
  }
}

type FilePhase = 'OPENING' | 'OPEN' | 'FAILED' | 'CLOSED';

export class MessageFile {
  private phase: FilePhase = 'OPENING';
  private handle?: FileHandle;
  private readonly opened: Promise<void>;
  /** Filled parts of blocks, oldest first, not yet handed to writev. */
  private waiting: Buffer[] = [];
  /** The block being filled: bytes from `sealed` to `filled` are not in `waiting` yet. */
  private block?: Buffer;
  private sealed = 0;
  private filled = 0;
  /** Bytes counted against the budget: waiting, in the block, or being written. */
  private queued = 0;
  private inFlight = 0;
  private writing?: Promise<void>;
  private error?: unknown;

  constructor(
    readonly path: string,
    private readonly budget: DiskBudget,
  ) {
    // 0600: a message may hold anything; "wx": never write into a file that was already there.
    this.opened = fs.open(path, 'wx', 0o600).then(
      (handle) => {
        this.handle = handle;
        if (this.phase !== 'OPENING') return;
        this.phase = 'OPEN';
        this.flush();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** Appends `source[start, end)`; ignored once the file has failed or is closed. */
  write(source: Buffer, start: number, end: number): void {
    if (this.phase === 'FAILED' || this.phase === 'CLOSED') return;
    this.count(end - start);
    while (start < end) {
      if (this.block === undefined || this.filled === this.block.length) {
        this.seal();
        this.block = Buffer.allocUnsafe(Math.min(BLOCK, Math.max(end - start, this.block ? this.block.length * 2 : FIRST_BLOCK)));
        this.sealed = this.filled = 0;
      }
      const copied = source.copy(this.block, this.filled, start, end);
      this.filled += copied;
      start += copied;
    }
    this.flush();
  }

  /** Writes every byte, closes the file and renames it to `target`; rejects (the file removed) if any of it failed. */
  async keep(target: string): Promise<void> {
    await this.settled();
    if (this.phase !== 'OPEN') {
      await this.discard();
      throw this.error ?? new Error('the message file was closed');
    }
    this.phase = 'CLOSED';
    try {
      await this.handle?.close();
      await fs.rename(this.path, target);
    } catch (error) {
      await fs.rm(this.path, { force: true }).catch(() => {});
      throw error;
    }
  }

  /** Drops what is not written yet and removes the file (when this opened it). */
  async discard(): Promise<void> {
    if (this.phase === 'CLOSED') return;
    this.phase = 'CLOSED';
    this.dropWaiting();
    await this.settled();
    if (!this.handle) return; // never opened: nothing of ours to remove
    await this.handle.close().catch(() => {});
    await fs.rm(this.path, { force: true }).catch(() => {});
  }

  /** Resolves once the open and every write started so far have finished. */
  private async settled(): Promise<void> {
    await this.opened;
    while (this.writing) await this.writing;
  }

  private count(bytes: number): void {
    this.queued += bytes;
    this.budget.add(bytes);
  }

  private uncount(bytes: number): void {
    this.queued -= bytes;
    this.budget.release(bytes);
  }

  private seal(): void {
    if (this.block === undefined || this.filled === this.sealed) return;
    this.waiting.push(this.block.subarray(this.sealed, this.filled));
    this.sealed = this.filled;
  }

  /** Starts a writev of everything waiting, unless one is running (it calls this when done). */
  private flush(): void {
    if (this.phase !== 'OPEN' || this.writing || !this.handle) return;
    this.seal();
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    const bytes = batch.reduce((sum, buffer) => sum + buffer.length, 0);
    this.inFlight = bytes;
    this.writing = this.handle.writev(batch).then(
      ({ bytesWritten }) => {
        this.wrote(bytes);
        // A regular file takes a whole write unless it cannot: a short one means the disk
        // is full or a size limit was reached, and the message is not all there.
        if (bytesWritten !== bytes) return this.fail(new Error(`short write: ${bytesWritten} of ${bytes} bytes (disk full?)`));
        this.flush();
      },
      (error: unknown) => {
        this.wrote(bytes);
        this.fail(error);
      },
    );
  }

  private wrote(bytes: number): void {
    this.writing = undefined;
    this.inFlight = 0;
    this.uncount(bytes);
  }

  private fail(error: unknown): void {
    if (this.phase === 'CLOSED' || this.phase === 'FAILED') return;
    this.phase = 'FAILED';
    this.error = error;
    this.dropWaiting();
  }

  /** Forgets the bytes not handed to writev yet, and gives their room back. */
  private dropWaiting(): void {
    this.waiting = [];
    this.block = undefined;
    this.sealed = this.filled = 0;
    this.uncount(this.queued - this.inFlight);
  }
}
