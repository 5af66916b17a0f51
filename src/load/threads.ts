// `load --workers N`: the run's lanes spread over N worker threads, each a whole load run of
// its own over a shared budget (budget.ts), and one report. Options hold functions (the
// protocol's), which cannot cross to a thread, so each thread is handed the command's own
// arguments and reads them as the command did; it posts its progress counters, and at the
// end its counts and raw latency samples, which the report merges (exact percentiles).
import { Worker, type MessagePort } from 'node:worker_threads';
import { MailprobeError, type ErrorCode } from '../errors.js';
import { sharedBudget, sharedBudgetMemory } from './budget.js';
import type { LoadOptions, LoadRun } from './run.js';
import { startLoad } from './run.js';
import { LoadStats, type LoadPart, type LoadProgress } from './stats.js';

/** How often a thread posts its counters, when there is a progress line to show them. */
const PROGRESS_MS = 250;

/** What a thread is given (structured-cloned), beside the command's arguments. */
export interface LoadThreadData {
  mailprobeThread: 'load';
  argv: string[];
  /** This thread's lanes. */
  connections: number;
  budget: SharedArrayBuffer;
  counted: boolean;
  /** Wall-clock end of a run by duration (threads start at different moments). */
  deadlineEpochMs?: number;
  password?: string;
  progress: boolean;
  /** Wait for the first thread's login before opening a connection. */
  gated: boolean;
}

type ThreadMessage =
  | { type: 'progress'; progress: LoadProgress }
  | { type: 'firstLogin' }
  | { type: 'done'; part: LoadPart; aborted?: { code: ErrorCode; message: string; hint?: string; reply?: string } };

export interface ThreadedLoad {
  /** The file a thread runs (the command's own entry, which knows a thread when it is one). */
  entry: string;
  argv: string[];
  workers: number;
  connections: number;
  messages?: number;
  durationMs?: number;
  password?: string;
  progress: boolean;
  /** A login: the first thread's first connection logs in before any other opens. */
  loginFirst: boolean;
}

/** Shares out `total` as evenly as whole numbers allow: 10 over 3 is 4, 3, 3. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export function startLoadThreads(spec: ThreadedLoad): LoadRun {
  const stats = new LoadStats();
  const memory = sharedBudgetMemory(spec.messages);
  const budget = sharedBudget(memory, spec.messages !== undefined, undefined);
  const deadlineEpochMs = spec.durationMs === undefined ? undefined : Date.now() + spec.durationMs;
  const latest: LoadProgress[] = [];
  let aborted: MailprobeError | undefined;
  let resolveFirstLogin!: () => void;
  const firstLogin = new Promise<void>((resolve) => (resolveFirstLogin = resolve));
  const threads = shares(spec.connections, spec.workers).map((connections, index) => {
    const data: LoadThreadData = {
      mailprobeThread: 'load',
      argv: spec.argv,
      connections,
      budget: memory,
      counted: spec.messages !== undefined,
      deadlineEpochMs,
      password: spec.password,
      progress: spec.progress,
      gated: spec.loginFirst && index > 0,
    };
    return new Worker(spec.entry, { workerData: data, stdout: true, stderr: true });
  });
  const parts = threads.map(
    (thread, index) =>
      new Promise<LoadPart>((resolve, reject) => {
        thread.on('message', (message: ThreadMessage) => {
          if (message.type === 'progress') {
            latest[index] = message.progress;
            stats.showProgress(latest.filter(Boolean));
          } else if (message.type === 'firstLogin') {
            resolveFirstLogin();
          } else {
            if (message.aborted) aborted ??= new MailprobeError(message.aborted.code, message.aborted.message, message.aborted);
            resolve(message.part);
            void thread.terminate();
          }
        });
        thread.on('error', reject);
        thread.on('exit', (code) => reject(new Error(`load thread ${index + 1} ended (exit ${code}) before its report`)));
      }),
  );
  // The first thread's first login opens the gate of the others.
  void firstLogin.then(() => threads.slice(1).forEach((thread) => thread.postMessage('go')));
  const done = Promise.all(parts).then(
    (all) => {
      resolveFirstLogin();
      stats.showProgress([]);
      for (const part of all) stats.add(part);
      return stats;
    },
    (error: unknown) => {
      budget.stop();
      for (const thread of threads) void thread.terminate();
      throw error;
    },
  );
  return { stats, aborted: () => aborted, stop: budget.stop, done, firstLogin };
}

/** A thread's side: its own run over the shared budget, reported to the thread that started it. */
export function runLoadThread(data: LoadThreadData, options: LoadOptions, port: MessagePort): void {
  const durationMs = data.deadlineEpochMs === undefined ? undefined : Math.max(0, data.deadlineEpochMs - Date.now());
  const startAfter = data.gated ? new Promise<void>((resolve) => port.once('message', () => resolve())) : undefined;
  const run = startLoad({ ...options, connections: data.connections, budget: sharedBudget(data.budget, data.counted, durationMs), startAfter });
  void run.firstLogin.then(() => port.postMessage({ type: 'firstLogin' } satisfies ThreadMessage));
  const ticker = data.progress ? setInterval(() => port.postMessage({ type: 'progress', progress: run.stats.progress() } satisfies ThreadMessage), PROGRESS_MS) : undefined;
  void run.done.then((stats) => {
    if (ticker) clearInterval(ticker);
    const error = run.aborted();
    const aborted = error && { code: error.code, message: error.message, hint: error.hint, reply: error.reply };
    const part = stats.part();
    const message: ThreadMessage = { type: 'done', part, aborted };
    port.postMessage(message, [part.connectMs, part.tlsMs, part.messageMs].map((samples) => samples.buffer as ArrayBuffer));
  });
}
