// Clean-up that must run however a test process ends: servers still running and temp dirs
// left by a suite that forgot stop(). One registry for every support module, run on 'exit'
// and on the signals: Vitest ends its worker processes with SIGTERM, which skips 'exit'
// handlers. After cleaning up, the signal does what it would have done (unless someone else
// handles it). Tasks must be safe to run twice.

const tasks = new Set<() => void>();

export function atProcessEnd(task: () => void): void {
  tasks.add(task);
}

function runAll(): void {
  for (const task of tasks) {
    try {
      task();
    } catch {
      /* the others still run */
    }
  }
}

process.once('exit', runAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = (): void => {
    runAll();
    process.removeListener(sig, onSignal);
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  process.on(sig, onSignal);
}
