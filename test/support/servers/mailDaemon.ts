// What the real mail servers' test set-ups share: free ports, private run directories,
// starting a daemon and waiting for its greeting, pid files, and stopping every daemon
// still running when the process ends.
import { atProcessEnd } from '../processEnd.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';

/** Ports handed out in this process, so two probes never return the same port. */
export const handedOut = new Set<number>();

/** Finds a TCP port that is free on `host` (a loopback address) right now. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen({ host, port: 0, exclusive: true }, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port >= 1024 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** os.tmpdir() if every directory above it can be searched by other users, else /tmp. */
export function traversableTmpdir(): string {
  const base = tmpdir();
  for (let d = base; d !== dirname(d); d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return '/tmp';
  }
  return base;
}

/** A mkdtemp dir that the servers' unprivileged users (postfix, dovecot, nobody) can traverse. */
export function makeRunDir(prefix: string): string {
  const dir = mkdtempSync(join(traversableTmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * For error messages: the log's distinct warning/error lines (the root cause is often
 * far above a flood of repeats) and then its last lines.
 */
export function logTail(file: string, lines = 20): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trimEnd();
  } catch {
    return '(no log written)';
  }
  const all = text.split('\n');
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const line of all) {
    const key = line.replace(/^.*?(warning|error|fatal|panic)/i, '$1'); // drop timestamp and pid
    if (/\b(warning|error|fatal|panic):/i.test(line) && !seen.has(key) && problems.length < 15) {
      seen.add(key);
      problems.push(line);
    }
  }
  const tail = all.slice(-lines).join('\n');
  return problems.length ? `problems:\n${problems.join('\n')}\nlast lines:\n${tail}` : tail;
}

/**
 * Runs a command that starts a daemon. Its output goes to `outFile`, not to pipes:
 * the daemon inherits stdout/stderr, and execFileSync would wait for pipes to close.
 * Throws an Error whose message includes that output.
 */
export function runDaemonStarter(cmd: string, args: string[], outFile: string): void {
  const fd = openSync(outFile, 'a');
  try {
    execFileSync(cmd, args, { stdio: ['ignore', fd, fd], timeout: 30_000 });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${(err as Error).message.split('\n')[0]}):\n${logTail(outFile)}`);
  } finally {
    closeSync(fd);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Connects once, writes `send` (if any) and resolves with what arrived when `expect`
 * matched; rejects on close/error/timeout.
 */
export function readGreeting(host: string, port: number, tls: boolean, expect: RegExp, timeoutMs: number, send?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const sock: Socket = tls
      ? tlsConnect({ host, port, rejectUnauthorized: false })
      : netConnect({ host, port });
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    const timer = setTimeout(() => done(new Error(`no greeting within ${timeoutMs} ms`)), timeoutMs);
    if (send !== undefined) sock.write(send);
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (expect.test(text)) done();
    });
    sock.on('error', (err) => done(err));
    sock.on('close', () => done(new Error(`closed before greeting; got ${JSON.stringify(text)}`)));
  });
}

export interface GreetingCheck {
  name: string;
  port: number;
  tls: boolean;
  expect: RegExp;
  /** Written on connect, before the greeting (a PROXY protocol header). */
  send?: string;
}

/**
 * Polls every check until its greeting arrives. Throws with the log's problems and tail
 * after `timeoutMs`, or as soon as the log shows a line matching `fatal`.
 */
export async function waitForGreetings(
  host: string,
  checks: GreetingCheck[],
  logFile: string,
  fatal: RegExp,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const fail = (c: GreetingCheck, why: string): Error =>
    new Error(`${c.name} on ${host}:${c.port} did not greet (${why}).\nLog ${logFile}:\n${logTail(logFile)}`);
  for (const c of checks) {
    let lastErr = '';
    for (;;) {
      try {
        await readGreeting(host, c.port, c.tls, c.expect, Math.max(500, Math.min(3000, deadline - Date.now())), c.send);
        break;
      } catch (err) {
        lastErr = (err as Error).message;
      }
      if (Date.now() > deadline) throw fail(c, `${lastErr}; gave up after ${timeoutMs} ms`);
      let log = '';
      try {
        log = readFileSync(logFile, 'utf8');
      } catch {
        /* not written yet */
      }
      if (fatal.test(log)) throw fail(c, `${lastErr}; the log shows a fatal problem`);
      await sleep(50);
    }
  }
}

/** True while `pid` runs; a zombie (exited, not yet reaped by init) counts as gone. */
export const pidAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL (of the process group when `group`). */
export async function terminate(pid: number, group: boolean, graceMs = 5000): Promise<void> {
  const target = group ? -pid : pid;
  try {
    process.kill(target, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await sleep(25);
  if (pidAlive(pid)) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Stops a daemon whose master leads a process group (Postfix, Dovecot) and removes its run
 * directory. TERM to the whole group is much faster (~0.1 s) than letting the master wind
 * its children down (~1 s).
 */
export async function stopGroupDaemon(dir: string, pidFile: string): Promise<void> {
  const pid = readPid(pidFile);
  if (pid) await terminate(pid, true);
  running.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Daemons still running at process exit (if a test forgot stop()): killed synchronously. */
export const running = new Map<string, { pidFile: string; group: boolean }>();
export function killAllSync(): void {
  for (const [dir, { pidFile, group }] of running) {
    const pid = readPid(pidFile);
    if (pid) {
      try {
        process.kill(group ? -pid : pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  running.clear();
}
atProcessEnd(killAllSync);

export function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
export function gidOf(group: string): number {
  const entry = execFileSync('getent', ['group', group], { encoding: 'utf8' }).trim();
  return Number(entry.split(':')[2]);
}

