// Node's built-ins that take milliseconds to load and that a plaintext run never uses: TLS,
// HTTPS (MTA-STS), UDP (DNS), cluster (sink --workers) and worker threads (load --workers).
// Required on first use, not at every start: together they were ~11 ms of each start, a
// tenth of a bare `node`. The types are the modules' own.
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

function onFirstUse<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(id) as T);
}

export const nodeTls = onFirstUse<typeof import('node:tls')>('node:tls');
export const nodeHttps = onFirstUse<typeof import('node:https')>('node:https');
export const nodeDgram = onFirstUse<typeof import('node:dgram')>('node:dgram');
export const nodeCluster = onFirstUse<typeof import('node:cluster').default>('node:cluster');
export const nodeWorkerThreads = onFirstUse<typeof import('node:worker_threads')>('node:worker_threads');
