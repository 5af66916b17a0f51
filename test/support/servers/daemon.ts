/**
 * A real server run in the foreground for one test file: its own temp dir (config, data,
 * certificates, log), spawned as a child in a process group of its own, polled until it
 * answers (or its log says it is ready), and stopped (the whole group) afterwards. Shared by
 * inn.ts, inspircd.ts, mariadb.ts and postgres.ts.
 */
import { atProcessEnd } from '../processEnd.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { Pki } from '../certs.js';

export type Availability = { ok: true } | { ok: false; reason: string };

/** Are these files present? Otherwise, which Debian packages would bring them. */
export function availability(required: ReadonlyArray<readonly [string, string]>, account: string): Availability {
  const missing = [...new Set(required.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg))];
  if (missing.length) return { ok: false, reason: `missing packages: ${missing.join(' ')}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: `the server must be started as root (it runs as ${account})` };
  if (idsOf(account) === undefined) return { ok: false, reason: `no system account "${account}"` };
  return { ok: true };
}

/** uid and gid of a system account, from /etc/passwd. */
export function idsOf(account: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === account) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** os.tmpdir() if every directory above it can be searched by other users, else /tmp. */
function traversableTmpdir(): string {
  const base = tmpdir();
  for (let d = base; d !== dirname(d); d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return '/tmp';
  }
  return base;
}

/** A temp dir owned by `account` (the server writes its pid, log and state there). */
export function makeRunDir(prefix: string, account: string): string {
  const dir = mkdtempSync(join(traversableTmpdir(), prefix));
  chmodSync(dir, 0o755);
  const ids = idsOf(account);
  if (ids && userInfo().uid === 0) chownSync(dir, ids.uid, ids.gid);
  return dir;
}

/** Writes a file the server's account owns (keys: mode 0600, which nnrpd insists on). */
export function writeOwned(file: string, text: string, account: string, mode = 0o644): void {
  writeFileSync(file, text, { mode });
  chmodSync(file, mode);
  const ids = idsOf(account);
  if (ids && userInfo().uid === 0) chownSync(file, ids.uid, ids.gid);
}

/** The test CA and the leaf for localhost, as files in `dir` readable by `account`. */
export function writeCertificates(dir: string, pki: Pki, account: string): { cert: string; key: string; ca: string } {
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), ca: join(dir, 'ca.pem') };
  writeOwned(files.cert, pki.leaf.certPem, account);
  writeOwned(files.key, pki.leaf.keyPem, account, 0o600);
  writeOwned(files.ca, pki.ca.certPem, account);
  return files;
}

export interface Daemon {
  child: ChildProcess;
  logFile: string;
  /** Exit code or signal once it has ended on its own (a start-up failure). */
  exited(): string | undefined;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns `cmd` in a process group of its own, output to `logFile`. */
export function spawnDaemon(
  cmd: string,
  args: string[],
  opts: { logFile: string; env?: NodeJS.ProcessEnv; uid?: number; gid?: number; /** How it is asked to stop (PostgreSQL: SIGINT, its fast shutdown). */ stopSignal?: NodeJS.Signals },
): Daemon {
  const fd = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true, env: opts.env ?? process.env, uid: opts.uid, gid: opts.gid });
  closeSync(fd);
  let ended: string | undefined;
  child.on('exit', (code, signal) => (ended = signal ?? `exit ${code}`));
  child.on('error', (err) => (ended = err.message));
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    if (pid === undefined || ended !== undefined) return;
    signalGroup(pid, opts.stopSignal ?? 'SIGTERM');
    for (let i = 0; i < 100 && ended === undefined; i++) await sleep(20);
    signalGroup(pid, 'SIGKILL'); // children forked per connection (nnrpd) too
    live.delete(pid);
  };
  if (pid !== undefined) live.add(pid);
  return { child, logFile: opts.logFile, exited: () => ended, stop };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Groups still running when the test process ends (a test forgot stop()). */
const live = new Set<number>();
atProcessEnd(() => {
  for (const pid of live) signalGroup(pid, 'SIGKILL');
  live.clear();
});

/**
 * Connects (over TLS when `tls`), sends `hello` if given, and resolves with what arrived
 * once it matches `expect`; rejects on close, error or after `timeoutMs`.
 */
export function probe(port: number, opts: { tls?: boolean; hello?: string; expect: RegExp; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const sock: Socket = opts.tls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : netConnect({ host: '127.0.0.1', port });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    const timer = setTimeout(() => done(new Error(`no answer within ${opts.timeoutMs} ms; got ${JSON.stringify(text)}`)), opts.timeoutMs);
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (opts.hello) sock.write(opts.hello);
    });
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (opts.expect.test(text)) done();
    });
    sock.on('error', (err) => done(err));
    sock.on('close', () => done(new Error(`closed; got ${JSON.stringify(text)}`)));
  });
}

/** Polls `check` until it resolves; fails with the log's tail when the daemon ends or after `timeoutMs`. */
export async function waitUntilReady(daemon: Daemon, what: string, check: () => Promise<unknown>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    const ended = daemon.exited();
    if (ended !== undefined || Date.now() > deadline) {
      await daemon.stop();
      const why = ended !== undefined ? `it ended (${ended})` : `gave up after ${timeoutMs} ms`;
      throw new Error(`${what} did not become ready: ${why}; last probe: ${last}\n${logTail(daemon.logFile)}`);
    }
    await sleep(50);
  }
}

/** Waits until the daemon's log says `ready`; the milliseconds from `spawned` to then. */
export async function waitForLogLine(daemon: Daemon, what: string, ready: RegExp, spawned: number, timeoutMs = 20_000): Promise<number> {
  await waitUntilReady(
    daemon,
    what,
    async () => {
      if (!ready.test(readLog(daemon.logFile))) throw new Error(`no ${ready} in its log yet`);
    },
    timeoutMs,
  );
  return Math.round(performance.now() - spawned);
}

/** A log file's text so far ('' before it exists). */
export function readLog(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function logTail(file: string): string {
  try {
    return `log ${file}:\n${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-20).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}

/** Removes a run dir. */
export function removeRunDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
