/**
 * A real MariaDB for tests: `mariadbd` run directly from an empty temp data dir on a free
 * loopback port, with the test CA's leaf as its certificate (or --skip-ssl, for the
 * refusal). No mariadb-install-db: with --skip-grant-tables the server needs no system
 * tables to greet and take an SSL request (mailprobe never authenticates), and starts in
 * about 0.3 s instead of several seconds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from '../certs.js';
import { freePort, type ServerAvailability } from '../realServers.js';

export const MARIADBD = '/usr/sbin/mariadbd';

function mysqlUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'mysql']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'mysql']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export function mariadbAvailability(): ServerAvailability {
  if (!existsSync(MARIADBD)) return { ok: false, reason: `MariaDB is not installed (Debian package mariadb-server: ${MARIADBD})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the MariaDB tests need root (to run the server as the mysql user)' };
  if (!mysqlUser()) return { ok: false, reason: 'no mysql system user' };
  return { ok: true };
}

export interface MariadbInstance {
  port: number;
  /** Milliseconds from spawn to "ready for connections". */
  readyMs: number;
  log(): string;
  stop(): Promise<void>;
}

export async function startMariadb(pki: Pki, options: { ssl: boolean }): Promise<MariadbInstance> {
  const user = mysqlUser() as { uid: number; gid: number };
  const dir = mkdtempSync('/tmp/mailprobe-mariadb-');
  const data = join(dir, 'data');
  mkdirSync(data);
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  copyFileSync(pki.leaf.cert, cert);
  copyFileSync(pki.leaf.key, key);
  chmodSync(key, 0o600);
  for (const path of [dir, data, cert, key]) chownSync(path, user.uid, user.gid);
  const port = await freePort();
  const logFile = join(dir, 'error.log');
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'pid')}`,
    `--log-error=${logFile}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--user=mysql',
    '--skip-grant-tables',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=8M',
    ...(options.ssl ? [`--ssl-cert=${cert}`, `--ssl-key=${key}`] : ['--skip-ssl']),
  ];
  const outFile = join(dir, 'stdout.log');
  const fd = openSync(outFile, 'a');
  const spawned = performance.now();
  const child: ChildProcess = spawn(MARIADBD, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const log = () => [logFile, outFile].map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : '')).join('');
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 20_000;
  while (!/ready for connections/.test(log())) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      const text = log();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mariadbd did not start (${exited ? 'it exited' : 'no "ready" within 20 s'}):\n${text.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const readyMs = Math.round(performance.now() - spawned);
  return {
    port,
    readyMs,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (exited) return done();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}
