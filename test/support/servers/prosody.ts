/**
 * A real Prosody (0.12) for tests: its own config and data under a temp dir, listening on
 * free loopback ports, with the test PKI's leaf for "localhost". Prosody refuses to run as
 * root, so it is spawned with the uid and gid of the Debian package's `prosody` user; the
 * system instance and /etc/prosody are never touched.
 *
 * Hosts: "localhost" offers STARTTLS (required) on c2s and s2s and has a user; a second
 * host, "plain.localhost", has mod_tls disabled and no encryption required, so its stream
 * features offer no STARTTLS — the refusal to test.
 */
import { atProcessEnd } from '../processEnd.js';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Pki } from '../certs.js';
import { freePort, type ServerAvailability } from '../realServers.js';

export const PROSODY = '/usr/bin/prosody';
const PROSODYCTL = '/usr/bin/prosodyctl';

export interface ProsodyInstance {
  c2s: number;
  s2s: number;
  /** A host without mod_tls: its features offer no STARTTLS. */
  plainHost: string;
  user: string;
  password: string;
  /** Milliseconds from spawn until both ports accept connections. */
  startMs: number;
  stop(): Promise<void>;
}

export function prosodyAvailable(): ServerAvailability {
  if (!existsSync(PROSODY) || !existsSync(PROSODYCTL)) return { ok: false, reason: `${PROSODY} is missing (Debian package prosody)` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'the prosody tests run Prosody as the prosody user, which needs root' };
  try {
    execFileSync('id', ['-u', 'prosody'], { stdio: 'ignore' });
  } catch {
    return { ok: false, reason: 'there is no prosody user (Debian package prosody)' };
  }
  return { ok: true };
}

const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'prosody'], { encoding: 'utf8' }).trim());

function config(dir: string, c2s: number, s2s: number): string {
  const ssl = `{ certificate = "${dir}/cert.pem", key = "${dir}/key.pem" }`;
  return `
daemonize = false
pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
certificates = "${dir}"
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2s} }
s2s_ports = { ${s2s} }
c2s_direct_tls_ports = { }
s2s_direct_tls_ports = { }
http_ports = { }
https_ports = { }
admin_socket = "${dir}/admin.sock"
log = { { levels = { min = "info" }, to = "file", filename = "${dir}/prosody.log" } }
modules_enabled = { "tls", "saslauth", "dialback", "disco" }
modules_disabled = { "posix", "admin_shell", "c2s_direct_tls", "s2s_direct_tls" }
authentication = "internal_hashed"
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = false
ssl = ${ssl}
VirtualHost "localhost"
  ssl = ${ssl}
VirtualHost "plain.localhost"
  modules_disabled = { "tls" }
  c2s_require_encryption = false
`;
}

/** Resolves once `port` accepts a connection; rejects after `ms`. */
async function waitForPort(port: number, ms: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prosody exited with ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`prosody did not listen on ${port} within ${ms} ms:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const running = new Set<ChildProcess>();
atProcessEnd(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

export async function startProsody(pki: Pki): Promise<ProsodyInstance> {
  const dir = mkdtempSync('/tmp/mailprobe-prosody-');
  chmodSync(dir, 0o755);
  const uid = idOf('-u');
  const gid = idOf('-g');
  copyFileSync(pki.leaf.cert, join(dir, 'cert.pem'));
  copyFileSync(pki.leaf.key, join(dir, 'key.pem'));
  mkdirSync(join(dir, 'data'));
  const [c2s, s2s] = [await freePort(), await freePort()];
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(configFile, config(dir, c2s, s2s));
  for (const name of ['cert.pem', 'key.pem', 'data', 'prosody.cfg.lua']) chownSync(join(dir, name), uid, gid);
  chownSync(dir, uid, gid);
  const user = 'alice';
  const password = 's3cret-xmpp';
  const as = { uid, gid, env: { ...process.env, HOME: dir } };
  execFileSync(PROSODYCTL, ['--config', configFile, 'register', user, 'localhost', password], { ...as, stdio: 'ignore', timeout: 20_000 });

  const started = performance.now();
  const child = spawn(PROSODY, ['--config', configFile], { ...as, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const log = () => {
    const file = join(dir, 'prosody.log');
    return `${stderr}\n${existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : ''}`;
  };
  const stop = async () => {
    running.delete(child);
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(c2s, 15_000, child, log);
    await waitForPort(s2s, 15_000, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { c2s, s2s, plainHost: 'plain.localhost', user, password, startMs: Math.round(performance.now() - started), stop };
}
