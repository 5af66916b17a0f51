// Which of Node's built-ins a plaintext load run loads: TLS, crypto, threads, cluster, UDP,
// HTTPS and child processes are required on first use (scripts/lazyBuiltins.mjs,
// bin/thread.cjs), and a run that needs none of them must not pay for loading them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { countingServer, fresh } from '../support/countingSmtp.js';
import { runMailprobe } from '../support/runMailprobe.js';

/** Runs mailprobe with a preload that writes the built-ins it loaded, on exit, to a file. */
async function builtinsLoadedBy(args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const stamp = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const hook = join(tmpdir(), `mp-modules-${stamp}.cjs`);
  const out = join(tmpdir(), `mp-modules-${stamp}.txt`);
  writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
  const result = await runMailprobe(args, { env: { NODE_OPTIONS: `--require ${hook}` } });
  const modules = readFileSync(out, 'utf8').split('\n').filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  return { code: result.code, modules };
}

describe('built-ins loaded by a plaintext load run', () => {
  it('loads net but none of TLS, crypto, threads, cluster, UDP, HTTPS or child processes', async () => {
    const server = await countingServer(fresh());
    try {
      const { code, modules } = await builtinsLoadedBy(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '2', '-n', '6']);
      expect(code).toBe(0);
      expect(modules).toContain('net');
      const unwanted = ['tls', '_tls_wrap', 'crypto', 'worker_threads', 'cluster', 'dgram', 'https', 'child_process', 'timers/promises'];
      expect(modules.filter((m) => unwanted.includes(m))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
