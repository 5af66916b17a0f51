/**
 * A real Squid (Debian package squid) as an HTTP CONNECT proxy for tests: its config,
 * password file, pid file and logs in a temp dir, run in the foreground (`squid -N`) on
 * 127.0.0.1 and a free port. The system's Squid (/etc/squid, its service, port 3128) is
 * never used.
 *
 * Facts this relies on (Squid 5.7 on Debian 12):
 * - As root it switches to cache_effective_user (proxy): the temp dir and the password
 *   file belong to proxy. Its auth helper runs in a session of its own and ends when
 *   Squid does (end of its stdin).
 * - Without cache_dir there is no disk cache; max_filedescriptors keeps its tables small
 *   where the descriptor limit is high.
 * - It logs "Accepting HTTP Socket connections at ... local=127.0.0.1:PORT" once it
 *   listens, "Address already in use" (and exits 1) when the port is taken.
 * - SIGINT is its fast shutdown (~1 s); SIGTERM takes ~2 s even with shutdown_lifetime 0.
 * - A `dst` ACL resolves a host name: with nothing answering DNS on 127.0.0.1 that takes
 *   35 s. So names other than localhost (which comes from /etc/hosts) are refused before
 *   any `dst` test, and only IP literals and localhost reach it.
 * - basic_ncsa_auth takes SHA-256 crypt (`openssl passwd -5`), also $apr1$ and $1$.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ensurePackagesNoStart, type Required, type ServerAvailability } from '../packages.js';
import { bindFailed, PortRaceError, retryPortRace } from '../portRace.js';
import { atProcessEnd } from '../processEnd.js';
import { freePort } from '../realServers.js';
import { makeRunDir, readLog, removeRunDir, spawnDaemon, waitForLogLine, writeOwned } from './daemon.js';

export const SQUID = '/usr/sbin/squid';
export const BASIC_NCSA_AUTH = '/usr/lib/squid/basic_ncsa_auth';
const ACCOUNT = 'proxy';

const REQUIRED: Required = [
  [SQUID, 'squid'],
  [BASIC_NCSA_AUTH, 'squid'],
  ['/usr/bin/openssl', 'openssl'],
];

const isRoot = (): boolean => process.getuid?.() === 0;

let availability: ServerAvailability | undefined;

/** Squid and basic_ncsa_auth, installed as root when missing. Memoized per process. */
export function squidAvailability(): ServerAvailability {
  availability ??= ensurePackagesNoStart(REQUIRED, [{ name: 'squid', pidFile: '/run/squid.pid' }]);
  return availability;
}

export interface SquidOptions {
  /** Require HTTP basic auth (user and password below); otherwise anonymous CONNECT. */
  auth: boolean;
}

export interface SquidInstance {
  /** On 127.0.0.1. */
  port: number;
  /** Accepted only when started with auth. */
  user: string;
  password: string;
  /** Squid's stderr (-d1: its cache.log messages). */
  logFile: string;
  /** Milliseconds from spawn until it listened. */
  readyMs: number;
  /** access.log so far: one line per request, e.g. "TCP_DENIED/407 ... CONNECT 127.0.0.1:25". */
  accessLog(): string;
  /** The access log once it has a line matching `pattern` (Squid writes it a moment after the request), within 5 s; else as it is. */
  accessLogWith(pattern: RegExp): Promise<string>;
  stop(): Promise<void>;
}

function config(dir: string, port: number, auth: boolean): string {
  const lines = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${join(dir, 'squid.pid')}`,
    `coredump_dir ${dir}`,
    `cache_log ${join(dir, 'cache.log')}`,
    `access_log stdio:${join(dir, 'access.log')}`,
    'cache_store_log none',
    'logfile_rotate 0',
    // No disk cache, no memory cache, nothing kept between runs.
    'cache deny all',
    'cache_mem 0 MB',
    'netdb_filename none',
    'pinger_enable off',
    'shutdown_lifetime 0 seconds',
    'max_filedescriptors 1024',
    'visible_hostname localhost',
    // Names come from /etc/hosts; DNS only on this machine (and only for names let through).
    'hosts_file /etc/hosts',
    'dns_nameservers 127.0.0.1',
    ...(isRoot() ? [`cache_effective_user ${ACCOUNT}`] : []),
    'acl CONNECT method CONNECT',
    'acl to_loopback dst 127.0.0.0/8 ::1',
    'acl named_localhost dstdomain -n localhost',
    'acl ip_literal url_regex ^(\\[[0-9a-fA-F:.]+\\]|[0-9.]+):[0-9]+$',
    // CONNECT only, to any port of a loopback address or of localhost; nowhere else.
    'http_access deny !CONNECT',
    'http_access deny !named_localhost !ip_literal',
    'http_access deny !to_loopback',
  ];
  if (auth) {
    lines.push(
      `auth_param basic program ${BASIC_NCSA_AUTH} ${join(dir, 'passwd')}`,
      'auth_param basic children 1 startup=1 idle=1',
      'auth_param basic realm mailprobe-test',
      'acl authenticated proxy_auth REQUIRED',
      'http_access allow authenticated',
    );
  } else lines.push('http_access allow all');
  lines.push('http_access deny all');
  return `${lines.join('\n')}\n`;
}

/** Run dirs of instances not stopped yet (their processes: daemon.ts ends them). */
const runDirs = new Set<string>();
atProcessEnd(() => {
  for (const dir of runDirs) removeRunDir(dir);
  runDirs.clear();
});

/** Starts Squid; tried again with a fresh port when the probed one was taken. */
export function startSquid(opts: SquidOptions): Promise<SquidInstance> {
  return retryPortRace(() => startOnce(opts));
}

async function startOnce(opts: SquidOptions): Promise<SquidInstance> {
  const dir = makeRunDir('mailprobe-squid-', ACCOUNT);
  runDirs.add(dir);
  const port = await freePort();
  const user = 'mailprobe';
  const password = randomBytes(9).toString('base64url');
  if (opts.auth) {
    const hash = execFileSync('openssl', ['passwd', '-5', '-stdin'], { input: `${password}\n`, timeout: 10_000 }).toString().trim();
    writeOwned(join(dir, 'passwd'), `${user}:${hash}\n`, ACCOUNT, 0o600);
  }
  const conf = join(dir, 'squid.conf');
  writeOwned(conf, config(dir, port, opts.auth), ACCOUNT);
  const logFile = join(dir, 'squid.out');
  const spawned = performance.now();
  // Started as root, it drops to proxy itself; as anyone else it stays that user.
  const daemon = spawnDaemon(SQUID, ['-N', '-d1', '-f', conf], { logFile, stopSignal: 'SIGINT' });
  let readyMs: number;
  try {
    const listening = new RegExp(`Accepting HTTP Socket connections at .*local=127\\.0\\.0\\.1:${port}\\b`);
    readyMs = await waitForLogLine(daemon, 'Squid', listening, spawned, 30_000);
  } catch (err) {
    const message = (err as Error).message;
    const raced = bindFailed(readLog(logFile));
    await daemon.stop();
    removeRunDir(dir);
    runDirs.delete(dir);
    throw raced ? new PortRaceError(message) : err;
  }
  return {
    port,
    user,
    password,
    logFile,
    readyMs,
    accessLog: () => readLog(join(dir, 'access.log')),
    accessLogWith: async (pattern: RegExp) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const log = readLog(join(dir, 'access.log'));
        if (pattern.test(log) || Date.now() > deadline) return log;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      await daemon.stop();
      removeRunDir(dir);
      runDirs.delete(dir);
    },
  };
}
