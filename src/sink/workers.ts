// `sink --workers N`: N processes accepting on one listening socket (Node's cluster, each
// worker accepting for itself: no hand-off of connections through the first process), and
// one handle over them that looks like a single sink's. Each worker is the same command run
// again; it is sent the certificate (so --tls-self-signed makes one, not N), posts its
// counts as they change, and its final counts when told to stop.
import cluster, { type Worker } from 'node:cluster';
import { MailprobeError, type ErrorCode } from '../errors.js';
import { startSink, type SinkHandle } from './server.js';
import type { SinkOptions } from './options.js';
import { SinkStats, type SinkPart } from './stats.js';

/** How often a worker posts its counts (the primary's --count and status line read them). */
const PROGRESS_MS = 100;
/** How long past its grace period a worker may take to report before it is killed. */
const REPORT_WITHIN_MS = 3000;

type ToWorker = { type: 'start'; certPem?: string; keyPem?: string } | { type: 'stop'; graceMs: number };
type FromWorker =
  | { type: 'listening'; port: number }
  | { type: 'error'; code: ErrorCode; message: string; hint?: string }
  | { type: 'progress'; part: SinkPart }
  | { type: 'done'; part: SinkPart };

/** The channel between a worker and the process that started it (process.send, for a cluster worker). */
export interface ParentChannel {
  send(message: unknown): void;
  onMessage(handler: (message: unknown) => void): void;
  /** The parent is gone (or let go of this worker). */
  onDisconnect(handler: () => void): void;
  disconnect(): void;
}

export interface SinkWorkersSpec {
  /** The command's entry file and arguments, run again in each worker. */
  entry: string;
  argv: string[];
  workers: number;
  options: SinkOptions;
  /** The counts changed (a worker posted): --count reads them. */
  onProgress?(): void;
}

/** Starts the workers and resolves once every one listens (or rejects with the first one's error). */
export async function startSinkWorkers(spec: SinkWorkersSpec): Promise<SinkHandle> {
  const { options } = spec;
  // Each worker accepts for itself on the shared socket: the kernel spreads the connections.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: spec.entry, args: spec.argv, silent: false });
  const stats = new SinkStats();
  /** Each worker's latest counts: its last progress, then its final report. */
  const latest: SinkPart[] = [];
  const exits: Promise<void>[] = [];
  const workers: Worker[] = [];
  const listening: Promise<number>[] = [];
  for (let i = 0; i < spec.workers; i++) {
    const worker = cluster.fork({ MAILPROBE_SINK_WORKER: '1' });
    workers.push(worker);
    listening.push(
      new Promise<number>((resolve, reject) => {
        worker.on('message', (message: FromWorker) => {
          if (message.type === 'listening') resolve(message.port);
          else if (message.type === 'error') reject(new MailprobeError(message.code, message.message, { hint: message.hint }));
          else {
            latest[i] = message.part;
            stats.setToSum(latest.filter(Boolean));
            if (message.type === 'progress') spec.onProgress?.();
          }
        });
        worker.once('exit', (code) => reject(new MailprobeError('CONNECT', `sink worker ${i + 1} ended (exit ${code}) before it listened`)));
      }),
    );
    // Closing waits for every worker to exit, so none is left behind the command.
    exits.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    worker.once('online', () => worker.send({ type: 'start', certPem: options.certPem, keyPem: options.keyPem } satisfies ToWorker));
  }
  let port: number;
  try {
    [port] = await Promise.all(listening);
  } catch (error) {
    for (const worker of workers) worker.kill();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (graceMs = 1000): Promise<void> => {
    closing ??= (async () => {
      for (const worker of workers) if (worker.isConnected()) worker.send({ type: 'stop', graceMs } satisfies ToWorker);
      // A worker that does not report in time is killed; what it had posted last still counts.
      const timer = setTimeout(() => workers.forEach((worker) => worker.kill()), graceMs + REPORT_WITHIN_MS);
      await Promise.all(exits);
      clearTimeout(timer);
      stats.open = 0;
    })();
    return closing;
  };
  return { port, host: options.host ?? '127.0.0.1', protocol: options.lmtp ? 'LMTP' : 'SMTP', starttls: options.certPem !== undefined, stats, close };
}

/** A worker's side: waits for its certificate, listens, posts counts, stops when told; returns the exit code. */
export async function runSinkWorker(options: SinkOptions, parent: ParentChannel): Promise<number> {
  const start = await new Promise<ToWorker & { type: 'start' }>((resolve) => parent.onMessage((message) => ((message as ToWorker).type === 'start' ? resolve(message as ToWorker & { type: 'start' }) : undefined)));
  let sink: SinkHandle;
  try {
    sink = await startSink({ ...options, certPem: start.certPem, keyPem: start.keyPem, onMessage: undefined });
  } catch (error) {
    const known = error instanceof MailprobeError ? error : new MailprobeError('CONNECT', String(error));
    parent.send({ type: 'error', code: known.code, message: known.message, hint: known.hint } satisfies FromWorker);
    parent.disconnect();
    return known.exitCode;
  }
  parent.send({ type: 'listening', port: sink.port } satisfies FromWorker);
  let posted = '';
  const ticker = setInterval(() => {
    const part = sink.stats.part();
    const text = JSON.stringify(part);
    if (text !== posted) parent.send({ type: 'progress', part } satisfies FromWorker);
    posted = text;
  }, PROGRESS_MS);
  const graceMs = await new Promise<number>((resolve) => {
    parent.onMessage((message) => ((message as ToWorker).type === 'stop' ? resolve((message as ToWorker & { type: 'stop' }).graceMs) : undefined));
    // The primary gone (killed): stop at once.
    parent.onDisconnect(() => resolve(0));
  });
  clearInterval(ticker);
  await sink.close(graceMs);
  parent.send({ type: 'done', part: sink.stats.part() } satisfies FromWorker);
  parent.disconnect();
  return 0;
}
