// What main() and the subcommands are given to talk to the world: standard streams, the
// environment, and hooks for Ctrl-C and for errors that escaped every handler. Its own file,
// so the subcommands need not import main.ts (which imports them).
import type { Readable, Writable } from 'node:stream';
import type { ParentChannel } from '../sink/workers.js';

export interface MainIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  onInterrupt?(handler: () => void): () => void;
  /** Registers a handler for errors that escaped every other handler. */
  onFatal?(handler: (error: unknown) => void): void;
  /** Registers a handler for standard output or error being closed by the reader (EPIPE). */
  onOutputClosed?(handler: () => void): void;
  /** The file a worker thread runs to take part in a command (bin/thread.cjs); absent in-process. */
  threadEntry?: string;
  /** The command's own file (the bin), run again by each worker process of `sink --workers`; absent in-process. */
  commandEntry?: string;
  /** The process that started this one as a worker of its command (sink --workers), if one did. */
  parent?: ParentChannel;
}
