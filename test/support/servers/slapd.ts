/**
 * A real OpenLDAP slapd for tests, run from a slapd.conf in a temp dir on free loopback
 * ports: an mdb database for dc=example,dc=org (so the RootDSE lists it), the test PKI's
 * leaf for TLS, pid and args files in the same dir. The system's slapd (its service,
 * /etc/ldap/slapd.d, /var/lib/ldap) is never touched.
 *
 * Facts this relies on (OpenLDAP 2.5 on Debian 12):
 * - slapd needs no root on high ports; as root it runs as root unless -u is given, and
 *   reads the key file in the temp dir either way.
 * - `-d 0` keeps it in the foreground with no debug output: the child is the daemon.
 * - Without TLSCertificateFile it answers StartTLS with protocolError (2),
 *   "unsupported extended operation".
 */
import { atProcessEnd } from '../processEnd.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pki } from '../certs.js';
import { freePort, type ServerAvailability } from '../realServers.js';

export const SLAPD = '/usr/sbin/slapd';
const REQUIRED = [SLAPD, '/usr/lib/ldap/back_mdb.so', '/etc/ldap/schema/core.schema'];

/** slapd and what its config loads; the Debian package is `slapd`. */
export function slapdAvailability(): ServerAvailability {
  const missing = REQUIRED.filter((file) => !existsSync(file));
  return missing.length === 0 ? { ok: true } : { ok: false, reason: `missing ${missing.join(', ')} (Debian package slapd)` };
}

export interface SlapdInstance {
  /** ldap:// (StartTLS when TLS is configured). */
  port: number;
  /** ldaps:// (implicit TLS); only with TLS configured. */
  ldapsPort?: number;
  /** Milliseconds from spawn until every listener accepted a connection. */
  setupMs: number;
  stop(): Promise<void>;
}

/** Instances still running when the test process exits (a suite that forgot stop()): killed. */
const running = new Map<ChildProcess, string>();
atProcessEnd(() => {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  running.clear();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once a TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function config(dir: string, tls: boolean): string {
  return [
    'include /etc/ldap/schema/core.schema',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    ...(tls ? [`TLSCertificateFile ${join(dir, 'cert.pem')}`, `TLSCertificateKeyFile ${join(dir, 'key.pem')}`] : []),
    'database mdb',
    'suffix "dc=example,dc=org"',
    `directory ${join(dir, 'db')}`,
    'maxsize 10485760',
    '',
  ].join('\n');
}

const log = (dir: string) => {
  try {
    return readFileSync(join(dir, 'slapd.log'), 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Starts slapd, with the test PKI's leaf for TLS unless `tls: false`; retries when a probed port was taken. */
export async function startSlapd(pki: Pki, options: { tls?: boolean } = {}): Promise<SlapdInstance> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(pki, options.tls !== false);
    } catch (error) {
      lastError = error as Error;
      if (!/already in use|bind/i.test(lastError.message)) throw lastError;
    }
  }
  throw lastError;
}

async function startOnce(pki: Pki, tls: boolean): Promise<SlapdInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-slapd-'));
  mkdirSync(join(dir, 'db'));
  if (tls) {
    copyFileSync(pki.leaf.cert, join(dir, 'cert.pem'));
    copyFileSync(pki.leaf.key, join(dir, 'key.pem'));
  }
  writeFileSync(join(dir, 'slapd.conf'), config(dir, tls));
  const port = await freePort();
  const ldapsPort = tls ? await freePort() : undefined;
  const urls = [`ldap://127.0.0.1:${port}/`, ...(ldapsPort ? [`ldaps://127.0.0.1:${ldapsPort}/`] : [])].join(' ');
  const out = openSync(join(dir, 'slapd.log'), 'a');
  const started = performance.now();
  const child: ChildProcess = spawn(SLAPD, ['-f', join(dir, 'slapd.conf'), '-h', urls, '-d', '0'], { stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  running.set(child, dir);
  child.once('exit', () => {
    exited = true;
    running.delete(child);
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      for (let i = 0; i < 200 && !exited; i++) await sleep(25);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (const p of [port, ...(ldapsPort ? [ldapsPort] : [])]) {
    while (!(await accepts(p))) {
      if (exited || Date.now() > deadline) {
        const why = `slapd did not accept on 127.0.0.1:${p} (${exited ? 'it exited' : 'timed out'}):\n${log(dir)}`;
        await stop();
        throw new Error(why);
      }
      await sleep(20);
    }
  }
  return { port, ldapsPort, setupMs: Math.round(performance.now() - started), stop };
}
