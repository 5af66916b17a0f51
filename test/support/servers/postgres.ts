/**
 * A real PostgreSQL for tests: initdb into a temp dir owned by the postgres system user,
 * then `postgres -D DIR` run directly (no pg_ctl, no system cluster) on a free loopback
 * port, with the test CA's leaf as its certificate. Authentication by pg_hba.conf: the
 * user "postgres" is trusted over TCP (its startup reaches ReadyForQuery), "refused" is
 * rejected, everyone else gets SCRAM-SHA-256 (an AuthenticationSASL request).
 *
 * initdb takes about 1.5 s here with --no-sync; the server is ready about 0.3 s after spawn.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from '../certs.js';
import { freePort, type ServerAvailability } from '../realServers.js';
import { idsOf, readLog, spawnDaemon, waitForLogLine } from './daemon.js';

/** The newest installed PostgreSQL's bin directory (Debian: /usr/lib/postgresql/15/bin). */
function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  const dir = versions.map((v) => join(base, v, 'bin')).find((d) => existsSync(join(d, 'postgres')) && existsSync(join(d, 'initdb')));
  return dir;
}

export function postgresAvailability(): ServerAvailability {
  if (!binDir()) return { ok: false, reason: 'PostgreSQL is not installed (Debian package postgresql: /usr/lib/postgresql/N/bin/postgres)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the PostgreSQL tests need root (to run the server as the postgres user)' };
  if (!idsOf('postgres')) return { ok: false, reason: 'no postgres system user' };
  return { ok: true };
}

export interface PostgresInstance {
  port: number;
  /** Milliseconds from spawn to "ready to accept connections". */
  readyMs: number;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface PostgresCluster {
  dir: string;
  /** Milliseconds initdb took. */
  initdbMs: number;
  start(options: { ssl: boolean }): Promise<PostgresInstance>;
  remove(): void;
}

const HBA = `# TYPE  DATABASE USER     ADDRESS        METHOD
local   all      all                     trust
host    all      refused  127.0.0.1/32   reject
host    all      postgres 127.0.0.1/32   trust
host    all      all      127.0.0.1/32   scram-sha-256
`;

export function makePostgresCluster(pki: Pki): PostgresCluster {
  const bin = binDir() as string;
  const user = idsOf('postgres') as { uid: number; gid: number };
  const dir = mkdtempSync('/tmp/mailprobe-pg-');
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const asPostgres = { uid: user.uid, gid: user.gid, env: { ...process.env, LC_ALL: 'C', HOME: dir } };
  const began = performance.now();
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'], {
    ...asPostgres,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 60_000,
  });
  const initdbMs = Math.round(performance.now() - began);
  writeFileSync(join(data, 'pg_hba.conf'), HBA);
  // The server reads its key only when it is private to the server's user.
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  copyFileSync(pki.leaf.cert, cert);
  copyFileSync(pki.leaf.key, key);
  for (const file of [cert, key, join(data, 'pg_hba.conf')]) chownSync(file, user.uid, user.gid);
  chmodSync(key, 0o600);

  const start = async ({ ssl }: { ssl: boolean }): Promise<PostgresInstance> => {
    const port = await freePort();
    const logFile = join(dir, `server-${port}.log`);
    const settings = {
      listen_addresses: '127.0.0.1',
      port: String(port),
      unix_socket_directories: dir,
      ssl: ssl ? 'on' : 'off',
      ssl_cert_file: cert,
      ssl_key_file: key,
      fsync: 'off',
      shared_buffers: '16MB',
      max_connections: '20',
      log_connections: 'on',
    };
    const args = ['-D', data, ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
    const spawned = performance.now();
    // SIGINT to stop: its "fast shutdown", no waiting for clients.
    const daemon = spawnDaemon(join(bin, 'postgres'), args, { logFile, ...asPostgres, stopSignal: 'SIGINT' });
    const readyMs = await waitForLogLine(daemon, 'postgres', /ready to accept connections/, spawned);
    return { port, readyMs, log: () => readLog(logFile), stop: () => daemon.stop() };
  };

  return { dir, initdbMs, start, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
