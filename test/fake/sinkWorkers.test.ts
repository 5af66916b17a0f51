// mailprobe sink --workers N: N processes accept on one port and make one summary; the
// certificate is made once; Ctrl-C to the terminal's process group stops them all in order.
import { execFileSync, spawn } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { sleep } from '../support/fakeServer.js';
import { BIN, runMailprobe } from '../support/runMailprobe.js';

interface SinkChild {
  pid: number;
  port: Promise<number>;
  result: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The sink in its own process group (as a terminal runs a job), its port read from its first line. */
function spawnSink(args: string[]): SinkChild {
  const child = spawn(process.execPath, [BIN, 'sink', '--listen', '127.0.0.1:0', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  let gotPort: (port: number) => void = () => {};
  const port = new Promise<number>((resolve) => (gotPort = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const match = /^listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
    if (match) gotPort(Number(match[1]));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 30_000);
  const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      gotPort(0);
      resolve({ code, stdout, stderr });
    }),
  );
  return { pid: child.pid as number, port, result };
}

/** The processes whose parent is `pid`. */
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** The certificate a STARTTLS connection is shown, as its SHA-256 fingerprint. */
async function starttlsFingerprint(port: number): Promise<string> {
  const socket: Socket = netConnect({ port, host: '127.0.0.1' });
  let text = '';
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${JSON.stringify(text)}`)), 5000);
      const check = () => (pattern.test(text) ? (clearTimeout(timer), socket.off('data', onData), resolve()) : undefined);
      const onData = (chunk: Buffer) => ((text += chunk.toString('latin1')), check());
      socket.on('data', onData);
      check();
    });
  await waitFor(/^220 /m);
  socket.write('EHLO client.test\r\n');
  await waitFor(/^250 /m);
  text = '';
  socket.write('STARTTLS\r\n');
  await waitFor(/^220 /m);
  const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  const fingerprint = secure.getPeerCertificate().fingerprint256;
  secure.destroy();
  return fingerprint;
}

describe('mailprobe sink --workers', () => {
  it('two processes accept on the one port; --count counts over both; one JSON summary', async () => {
    const sink = spawnSink(['--workers', '2', '--count', '300', '--json']);
    const port = await sink.port;
    expect(childrenOf(sink.pid)).toHaveLength(2);
    const load = await runMailprobe(['load', `127.0.0.1:${port}`, '-plain', '-c', '8', '-n', '300', '--per-conn', '5', '--json']);
    expect(load.code).toBe(0);
    const { code, stdout, stderr } = await sink.result;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n')[1]);
    expect(summary).toMatchObject({ workers: 2, stoppedBy: 'count', accepted: 300, recipients: 300, rejected: 0 });
    expect(summary.connections).toBe(JSON.parse(load.stdout).connectionsOpened);
    expect(summary.messagesPerSecond).toBeGreaterThan(0);
    await sleep(200);
    expect(childrenOf(sink.pid)).toEqual([]);
  });

  it('--tls-self-signed makes one certificate, which every worker shows', async () => {
    const sink = spawnSink(['--workers', '2', '--tls-self-signed']);
    const port = await sink.port;
    const prints = new Set<string>();
    for (let i = 0; i < 12; i++) prints.add(await starttlsFingerprint(port));
    expect(prints.size).toBe(1);
    process.kill(-sink.pid, 'SIGINT');
    const { code, stdout } = await sink.result;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^sink summary \(127\.0\.0\.1:\d+, SMTP, 2 worker processes\):$/m);
    expect(stdout).toMatch(/^ {2}connections {3}12$/m);
  });

  it('Ctrl-C to the whole process group: every worker closes in order, their counts in the summary, exit 0', async () => {
    const sink = spawnSink(['--workers', '2']);
    const port = await sink.port;
    const load = await runMailprobe(['load', `127.0.0.1:${port}`, '-plain', '-c', '4', '-n', '40', '--json']);
    expect(JSON.parse(load.stdout).accepted).toBe(40);
    const workers = childrenOf(sink.pid);
    expect(workers).toHaveLength(2);
    // A client still connected is told 421 by its worker, not cut off.
    const idle = netConnect({ port, host: '127.0.0.1' });
    let heard = '';
    idle.on('data', (chunk: Buffer) => (heard += chunk.toString('latin1')));
    idle.on('error', () => {});
    while (!heard.startsWith('220 ')) await sleep(10);
    // What a terminal does on Ctrl-C: SIGINT to every process in the foreground group.
    process.kill(-sink.pid, 'SIGINT');
    const { code, stdout, stderr } = await sink.result;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}accepted {6}40 messages, 40 recipients$/m);
    expect(heard).toMatch(/\r\n421 /);
    idle.destroy();
    await sleep(200);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('a port in use: one error line, exit 4, no worker left', async () => {
    const first = spawnSink(['--workers', '1']);
    const port = await first.port;
    const busy = await runMailprobe(['sink', '--listen', `127.0.0.1:${port}`, '--workers', '2']);
    expect(busy.code).toBe(4);
    expect(busy.stderr.trim().split('\n').filter((line) => /cannot listen/.test(line))).toHaveLength(1);
    expect(busy.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    process.kill(-first.pid, 'SIGINT');
    expect((await first.result).code).toBe(0);
  });
});
