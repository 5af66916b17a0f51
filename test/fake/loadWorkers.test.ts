// mailprobe load --workers N: the connections spread over threads that share one budget and
// make one report (exact counts, merged latency samples); Ctrl-C stops every thread.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/fakeServer.js';
import { countingServer, fresh } from '../support/countingSmtp.js';
import { BIN, runMailprobe } from '../support/runMailprobe.js';

describe('mailprobe load --workers', () => {
  it('sends exactly the messages asked for over the threads, one report with every sample, each connection closed with QUIT', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '5', '-n', '53', '--per-conn', '4', '--workers', '2', '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ accepted: 53, connections: 5, workers: 2, connectionsFailed: 0 });
      expect(seen.messages).toHaveLength(53);
      expect(new Set(seen.messages.map((m) => m.headers.find((h) => h.startsWith('Message-ID:')))).size).toBe(53);
      expect(summary.connectionsOpened).toBe(seen.connections);
      expect(seen.quits).toBe(seen.connections);
      // Both threads' samples are in the report: one per message, and the dialogue counted over all.
      expect(summary.latencyMs.message.count).toBe(53);
      expect(summary.latencyMs.connect.count).toBe(seen.connections);
      expect(summary.dialogue.pipelinedConnections).toBe(seen.connections);
      const text = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '3', '-n', '9', '--workers', '3']);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^load: 127\.0\.0\.1:\d+ \(plain smtp\), 3 concurrent connections over 3 threads$/m);
      expect(text.stdout).toMatch(/^messages {5}9 sent: 9 accepted/m);
    } finally {
      await server.close();
    }
  });

  it('more threads than connections: one thread per connection', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '2', '-n', '6', '--workers', '8', '--json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 6, workers: 2 });
    } finally {
      await server.close();
    }
  });

  it('a --duration run over threads ends on time with every connection closed', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const started = Date.now();
      const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '4', '--duration', '1s', '--workers', '2', '--json']);
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary.accepted).toBe(seen.messages.length);
      expect(summary.accepted).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(6_000);
      expect(seen.quits).toBe(seen.connections);
    } finally {
      await server.close();
    }
  });

  it('Ctrl-C stops every thread: the partial report, exit 130, every connection closed with QUIT', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const child = spawn(process.execPath, [BIN, 'load', `127.0.0.1:${server.port}`, '-plain', '-c', '4', '--workers', '2', '--duration', '60s', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      while (seen.messages.length === 0) await sleep(20);
      await sleep(300);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(130);
      const summary = JSON.parse(out);
      expect(summary).toMatchObject({ interrupted: true, workers: 2 });
      expect(summary.elapsedMs).toBeLessThan(10_000);
      await sleep(100);
      expect(summary.accepted).toBe(seen.messages.length);
      expect(seen.quits).toBe(seen.connections);
    } finally {
      await server.close();
    }
  });

  it('--workers 0 or a word is a usage error (exit 3)', async () => {
    for (const value of ['0', 'two']) {
      const result = await runMailprobe(['load', '127.0.0.1:1', '-plain', '--workers', value]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(new RegExp(`--workers ${value} must be a whole number of at least 1`));
    }
  });
});
