/**
 * A real MariaDB for tests: `mariadbd` run directly from an empty temp data dir on a free
 * loopback port, with the test CA's leaf as its certificate (or --skip-ssl, for the
 * refusal). No mariadb-install-db: with --skip-grant-tables the server needs no system
 * tables to greet and take an SSL request (mailprobe never authenticates), and starts in
 * about 0.3 s instead of several seconds.
 */
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from '../certs.js';
import { freePort, type ServerAvailability } from '../realServers.js';
import { idsOf, readLog, spawnDaemon, waitForLogLine } from './daemon.js';

export const MARIADBD = '/usr/sbin/mariadbd';

export function mariadbAvailability(): ServerAvailability {
  if (!existsSync(MARIADBD)) return { ok: false, reason: `MariaDB is not installed (Debian package mariadb-server: ${MARIADBD})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the MariaDB tests need root (to run the server as the mysql user)' };
  if (!idsOf('mysql')) return { ok: false, reason: 'no mysql system user' };
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
  const user = idsOf('mysql') as { uid: number; gid: number };
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
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${join(dir, 'sock')}`,
    `--pid-file=${join(dir, 'pid')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--user=mysql',
    '--skip-grant-tables',
    '--skip-log-bin',
    '--innodb-buffer-pool-size=8M',
    ...(options.ssl ? [`--ssl-cert=${cert}`, `--ssl-key=${key}`] : ['--skip-ssl']),
  ];
  // Without --log-error the server logs to standard error: the daemon's log file.
  const logFile = join(dir, 'server.log');
  const spawned = performance.now();
  // Run as root: the server drops to the mysql user itself (--user).
  const daemon = spawnDaemon(MARIADBD, args, { logFile });
  let readyMs: number;
  try {
    readyMs = await waitForLogLine(daemon, 'mariadbd', /ready for connections/, spawned);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    readyMs,
    log: () => readLog(logFile),
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
