/**
 * Real Postfix and Dovecot for tests, run from private config directories under a
 * temp dir, on free high loopback ports. The system's mail setup (/etc/postfix,
 * /etc/dovecot, the system instances) is never touched or needed.
 *
 * Facts this relies on (see shared/REAL-SERVERS.md):
 * - Dovecot treats 127.0.0.1 -> 127.0.0.1 as a secured connection and then allows
 *   plaintext login before STARTTLS; it listens on 127.0.0.2 by default here so
 *   pre-TLS behaviour (LOGINDISABLED, no AUTH=PLAIN) is real.
 * - Both servers need root to start (Postfix refuses otherwise; Dovecot switches users).
 */
import { bindFailed, PortRaceError, retryPortRace } from './portRace.js';
import { atProcessEnd } from './processEnd.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { Pki } from './certs.js';

export type { ServerAvailability } from './packages.js';
import { ensurePackages, missingPackages, type ServerAvailability } from './packages.js';

/** Files that must exist, and the Debian package that provides each. */
const REQUIRED: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/postfix', 'postfix'],
  ['/usr/lib/postfix/sbin/smtpd', 'postfix'],
  ['/usr/sbin/dovecot', 'dovecot-core'],
  ['/usr/lib/dovecot/imap', 'dovecot-imapd'],
  ['/usr/lib/dovecot/pop3', 'dovecot-pop3d'],
  ['/usr/lib/dovecot/lmtp', 'dovecot-lmtpd'],
  ['/usr/lib/dovecot/managesieve', 'dovecot-managesieved'],
  ['/usr/bin/swaks', 'swaks'],
  ['/usr/bin/openssl', 'openssl'],
];

const isRoot = (): boolean => process.getuid?.() === 0;
let availability: ServerAvailability | undefined;

/**
 * Makes sure Postfix, Dovecot (imap, pop3, lmtp, managesieve), swaks and openssl are
 * installed. As root, missing packages are installed with apt-get; otherwise (or if
 * that fails) the answer says why the servers cannot be used. Memoized per process.
 */
export function ensureMailServers(): ServerAvailability {
  if (availability) return availability;
  if (!isRoot()) {
    const missing = missingPackages(REQUIRED);
    const why = missing.length ? `missing packages: ${missing.join(' ')}; ` : '';
    return (availability = { ok: false, reason: `${why}real Postfix/Dovecot tests need root (Postfix only starts as root)` });
  }
  // Postfix's debconf would otherwise ask which kind of mail setup to write to /etc/postfix.
  availability = ensurePackages(REQUIRED, { debconf: 'postfix postfix/main_mailer_type select No configuration\npostfix postfix/mailname string localhost\n' });
  return availability;
}

/** Ports handed out in this process, so two probes never return the same port. */
const handedOut = new Set<number>();

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
function traversableTmpdir(): string {
  const base = tmpdir();
  for (let d = base; d !== dirname(d); d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return '/tmp';
  }
  return base;
}

/** A mkdtemp dir that the servers' unprivileged users (postfix, dovecot, nobody) can traverse. */
function makeRunDir(prefix: string): string {
  const dir = mkdtempSync(join(traversableTmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * For error messages: the log's distinct warning/error lines (the root cause is often
 * far above a flood of repeats) and then its last lines.
 */
function logTail(file: string, lines = 20): string {
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
function runDaemonStarter(cmd: string, args: string[], outFile: string): void {
  const fd = openSync(outFile, 'a');
  try {
    execFileSync(cmd, args, { stdio: ['ignore', fd, fd], timeout: 30_000 });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${(err as Error).message.split('\n')[0]}):\n${logTail(outFile)}`);
  } finally {
    closeSync(fd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Connects once, writes `send` (if any) and resolves with what arrived when `expect`
 * matched; rejects on close/error/timeout.
 */
function readGreeting(host: string, port: number, tls: boolean, expect: RegExp, timeoutMs: number, send?: string): Promise<string> {
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

interface GreetingCheck {
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
async function waitForGreetings(
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
const pidAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL (of the process group when `group`). */
async function terminate(pid: number, group: boolean, graceMs = 5000): Promise<void> {
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

/** Daemons still running at process exit (if a test forgot stop()): killed synchronously. */
const running = new Map<string, { pidFile: string; group: boolean }>();
function killAllSync(): void {
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

// ---------------------------------------------------------------- Dovecot

export interface DovecotInstance {
  /** Address every listener is bound to ("127.0.0.2" unless opts.host). */
  host: string;
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  sieve: number;
  lmtp: number;
  /** A passwd-file user with a plain-text password. */
  user: string;
  password: string;
  /** Dovecot auth socket for Postfix SASL (smtpd_sasl_type = dovecot); mode 0666. */
  authSocket: string;
  /** Temp dir holding config, logs (dovecot.log), mail and sockets. */
  dir: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface DovecotOptions {
  host?: string;
}

const DOVECOT_USER = 'mailprobe';
const DOVECOT_PASSWORD = 'mailprobe-test-password';

function dovecotConfig(dir: string, host: string, pki: Pki, ports: DovecotPorts): string {
  const dh = '/usr/share/dovecot/dh.pem';
  return `# generated by test/support/realServers.ts
instance_name = mailprobe-${basename(dir)}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
hostname = localhost
protocols = imap pop3 lmtp sieve
listen = ${host}
shutdown_clients = yes

default_internal_user = dovecot
default_login_user = dovenull
mail_uid = nobody
mail_gid = nogroup
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
}

ssl = yes
ssl_cert = <${pki.leaf.cert}
ssl_key = <${pki.leaf.key}
ssl_min_protocol = TLSv1.2
${existsSync(dh) ? `ssl_dh = <${dh}` : ''}

disable_plaintext_auth = yes
auth_mechanisms = plain login cram-md5 scram-sha-256
auth_failure_delay = 0
auth_verbose = yes
# "user@localhost" (LMTP recipients from Postfix) and "user" are the same account.
auth_username_format = %Ln
# Failed logins are answered on a 500 ms timer even with auth_failure_delay = 0, unless
# the request carries the "nodelay" field. This first passdb only adds that field: it
# "succeeds" for anyone, but continue-fail records a failure, so only the passwd-file
# below can make a login succeed (the harness test checks that wrong passwords fail).
passdb {
  driver = static
  args = nopassword=y nodelay=yes
  result_success = continue-fail
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${dir}/mail/%n
}

service imap-login {
  inet_listener imap {
    port = ${ports.imap}
  }
  inet_listener imaps {
    port = ${ports.imaps}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${ports.pop3}
  }
  inet_listener pop3s {
    port = ${ports.pop3s}
    ssl = yes
  }
}
service managesieve-login {
  inet_listener sieve {
    port = ${ports.sieve}
  }
}
service lmtp {
  inet_listener lmtp {
    port = ${ports.lmtp}
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
# No auth penalty: otherwise every failed login from 127.0.0.1 makes the next attempts
# (IMAP, POP3, Sieve and Postfix SASL alike) wait 2, 4, 8 ... 15 s.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol lmtp {
  postmaster_address = postmaster@localhost
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
`;
}

interface DovecotPorts {
  imap: number;
  imaps: number;
  pop3: number;
  pop3s: number;
  sieve: number;
  lmtp: number;
}

/** Starts a private Dovecot (imap, imaps, pop3, pop3s, managesieve, lmtp) using pki.leaf. */
export async function startDovecot(pki: Pki, opts: DovecotOptions = {}): Promise<DovecotInstance> {
  const host = opts.host ?? '127.0.0.2';
  return retryPortRace(() => startDovecotOnce(pki, host));
}

async function startDovecotOnce(pki: Pki, host: string): Promise<DovecotInstance> {
  const dir = makeRunDir('mailprobe-dovecot-');
  const ports: DovecotPorts = {
    imap: await freePort(host),
    imaps: await freePort(host),
    pop3: await freePort(host),
    pop3s: await freePort(host),
    sieve: await freePort(host),
    lmtp: await freePort(host),
  };
  const conf = join(dir, 'dovecot.conf');
  const logFile = join(dir, 'dovecot.log');
  const pidFile = join(dir, 'run', 'master.pid');
  writeFileSync(conf, dovecotConfig(dir, host, pki, ports));
  writeFileSync(join(dir, 'users'), `${DOVECOT_USER}:{PLAIN}${DOVECOT_PASSWORD}\n`);
  // Mail homes are created by Dovecot as the mail user (nobody).
  mkdirSync(join(dir, 'mail'));
  chownSync(join(dir, 'mail'), uidOf('nobody'), gidOf('nogroup'));

  const stop = async (): Promise<void> => {
    const pid = readPid(pidFile);
    // Dovecot's master leads a process group; TERM to the whole group is much faster
    // (~0.1 s) than letting the master wind its children down (~1 s).
    if (pid) await terminate(pid, true);
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    runDaemonStarter('/usr/sbin/dovecot', ['-c', conf], join(dir, 'start.out'));
  } catch (err) {
    const out = `${(err as Error).message}\nLog ${logFile}:\n${logTail(logFile)}`;
    await stop();
    if (bindFailed(out)) throw new PortRaceError(out);
    throw new Error(out);
  }
  running.set(dir, { pidFile, group: true });

  try {
    await waitForGreetings(
      host,
      [
        { name: 'dovecot imap', port: ports.imap, tls: false, expect: /^\* OK .*\r\n/ },
        { name: 'dovecot imaps', port: ports.imaps, tls: true, expect: /^\* OK .*\r\n/ },
        { name: 'dovecot pop3', port: ports.pop3, tls: false, expect: /^\+OK .*\r\n/ },
        { name: 'dovecot pop3s', port: ports.pop3s, tls: true, expect: /^\+OK .*\r\n/ },
        { name: 'dovecot managesieve', port: ports.sieve, tls: false, expect: /^OK .*\r\n/m },
        { name: 'dovecot lmtp', port: ports.lmtp, tls: false, expect: /^220 .*\r\n/ },
      ],
      logFile,
      /\b(Fatal|Panic): /,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    host,
    ...ports,
    user: DOVECOT_USER,
    password: DOVECOT_PASSWORD,
    authSocket: join(dir, 'run', 'auth-postfix'),
    dir,
    logFile,
    stop,
  };
}

function uidOf(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
function gidOf(group: string): number {
  const entry = execFileSync('getent', ['group', group], { encoding: 'utf8' }).trim();
  return Number(entry.split(':')[2]);
}

// ---------------------------------------------------------------- Postfix

export interface PostfixInstance {
  /** "127.0.0.1": all three smtpd services are bound there. */
  host: string;
  /**
   * Port-25-like: STARTTLS offered (may); AUTH only after STARTTLS (if dovecot given).
   * TLS 1.2 and 1.3 sessions resume from tickets (Postfix's defaults: keys from tlsmgr,
   * no session cache database).
   */
  smtp: number;
  /** Port-587-like: STARTTLS required (encrypt), AUTH after STARTTLS, relay only when authenticated. */
  submission: number;
  /** Port-465-like: implicit TLS (wrapper mode), AUTH, relay only when authenticated. */
  submissions: number;
  /** With opts.haproxy: smtp behind a PROXY protocol (v1 or v2) header; syslog name postfix/haproxy. */
  haproxy?: number;
  /** With opts.xclient: smtp offering XCLIENT and XFORWARD to 127.0.0.0/8; syslog name postfix/xclient. */
  xclient?: number;
  /** With opts.clientCert: smtp whose STARTTLS asks for a client certificate (verified against pki.ca); syslog name postfix/ccert. */
  ccert?: number;
  /** Temp dir holding etc/ (main.cf, master.cf), spool/, data/ and maillog. */
  dir: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface PostfixOptions {
  /** Dovecot for SASL AUTH (its authSocket) and for local delivery via its LMTP port. Without it: no AUTH, mail discarded. */
  dovecot?: DovecotInstance;
  /** Badly configured on purpose: relays for any loopback client and offers AUTH before TLS. */
  misconfigured?: boolean;
  /** Also a port expecting a PROXY protocol header first (instance.haproxy). */
  haproxy?: boolean;
  /** Also a port where loopback clients may use XCLIENT and XFORWARD (instance.xclient). */
  xclient?: boolean;
  /** Also a port that asks for a client certificate (instance.ccert). */
  clientCert?: boolean;
}

interface PostfixPorts {
  smtp: number;
  submission: number;
  submissions: number;
  haproxy?: number;
  xclient?: number;
  ccert?: number;
}

function postfixMainCf(dir: string, pki: Pki, dovecot: DovecotInstance | undefined, misconfigured = false): string {
  const local = dovecot ? `lmtp:inet:${dovecot.host}:${dovecot.lmtp}` : 'discard:mailprobe test server';
  return `# generated by test/support/realServers.ts
compatibility_level = 3.6
queue_directory = ${dir}/spool
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop

# Logging to a file (via the postlog service in master.cf).
maillog_file = ${dir}/maillog
maillog_file_prefixes = ${dir}

# Nothing ever leaves the machine: loopback only, no DNS, remote mail discarded.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydomain = localdomain
myorigin = $myhostname
mydestination = $myhostname, localhost.$mydomain
# Empty: a loopback client is treated like any internet client (no relaying without AUTH).
# The misconfigured instance trusts all of loopback: an open relay for the tests.
mynetworks = ${misconfigured ? '127.0.0.0/8' : ''}
relayhost =
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
default_transport = discard:mailprobe test server
relay_transport = discard:mailprobe test server
local_transport = ${local}
local_recipient_maps =
alias_maps =
alias_database =
biff = no
smtputf8_enable = yes

# TLS: the test leaf certificate (localhost, 127.0.0.1, 127.0.0.2, ::1).
smtpd_tls_cert_file = ${pki.leaf.cert}
smtpd_tls_key_file = ${pki.leaf.key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = ${misconfigured ? 'no' : 'yes'}
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtp_tls_security_level = none
lmtp_tls_security_level = none

# SASL via Dovecot, only after TLS (smtpd_tls_auth_only).
smtpd_sasl_auth_enable = ${dovecot ? 'yes' : 'no'}
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dovecot ? dovecot.authSocket : 'private/auth'}
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination
`;
}

/**
 * The opt-in smtpd services.
 * - haproxy: a v1 or v2 PROXY header must come first (Postfix 3.5 and later read both).
 *   Anything else gets "421 4.3.0 localhost Server local error" at once, and silence gets
 *   it when smtpd_upstream_proxy_timeout (5 s by default, 3 s here) expires; then the
 *   connection is closed.
 * - xclient: after XCLIENT, EHLO no longer offers XCLIENT (the forged client is not in
 *   127.0.0.0/8) but still offers XFORWARD.
 * - ccert: the client certificate is verified against smtpd_tls_CAfile (Trusted/Untrusted
 *   in the log); smtpd_tls_received_header = yes (main.cf) puts its CN into Received.
 */
function postfixExtraServices(ports: PostfixPorts, pki: Pki): string {
  let out = '';
  if (ports.haproxy) {
    out += `127.0.0.1:${ports.haproxy} inet n - n - - smtpd
  -o syslog_name=postfix/haproxy
  -o smtpd_upstream_proxy_protocol=haproxy
  -o smtpd_upstream_proxy_timeout=3s
`;
  }
  if (ports.xclient) {
    out += `127.0.0.1:${ports.xclient} inet n - n - - smtpd
  -o syslog_name=postfix/xclient
  -o smtpd_authorized_xclient_hosts=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
`;
  }
  if (ports.ccert) {
    out += `127.0.0.1:${ports.ccert} inet n - n - - smtpd
  -o syslog_name=postfix/ccert
  -o smtpd_tls_ask_ccert=yes
  -o smtpd_tls_CAfile=${pki.ca.cert}
`;
  }
  return out;
}

function postfixMasterCf(ports: PostfixPorts, sasl: boolean, pki: Pki): string {
  const auth = sasl ? 'yes' : 'no';
  return `# generated by test/support/realServers.ts (nothing chrooted)
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:${ports.smtp} inet n - n - - smtpd
127.0.0.1:${ports.submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=${auth}
  -o smtpd_tls_auth_only=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:${ports.submissions} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=${auth}
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
${postfixExtraServices(ports, pki)}pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
`;
}

/**
 * Creates the queue and data directories the way "postfix check" (post-install
 * create-missing) would, and asks postfix-script to skip its checks (quick-start):
 * that shell work costs ~1.5 s, the whole start-up without it ~0.2 s.
 */
function makePostfixDirs(dir: string): void {
  const postfixUid = uidOf('postfix');
  const postdropGid = gidOf('postdrop');
  const spool = join(dir, 'spool');
  const make = (path: string, uid: number, gid: number, mode: number): void => {
    mkdirSync(path);
    chownSync(path, uid, gid);
    chmodSync(path, mode); // explicit: mkdir's mode is filtered by the umask
  };
  make(spool, 0, 0, 0o755);
  make(join(spool, 'pid'), 0, 0, 0o755);
  for (const q of ['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace']) {
    make(join(spool, q), postfixUid, 0, 0o700);
  }
  make(join(spool, 'maildrop'), postfixUid, postdropGid, 0o730);
  make(join(spool, 'public'), postfixUid, postdropGid, 0o710);
  make(join(dir, 'data'), postfixUid, gidOf('postfix'), 0o700);
  writeFileSync(join(spool, 'quick-start'), '');
}

/**
 * Starts a private Postfix with smtp, submission and submissions services on 127.0.0.1,
 * using pki.leaf, plus the haproxy, xclient and ccert services when asked for.
 */
export async function startPostfix(pki: Pki, opts: PostfixOptions = {}): Promise<PostfixInstance> {
  return retryPortRace(() => startPostfixOnce(pki, opts));
}

async function startPostfixOnce(pki: Pki, opts: PostfixOptions): Promise<PostfixInstance> {
  const { dovecot, misconfigured = false } = opts;
  const host = '127.0.0.1';
  const dir = makeRunDir('mailprobe-postfix-');
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  makePostfixDirs(dir);
  const ports: PostfixPorts = {
    smtp: await freePort(host),
    submission: await freePort(host),
    submissions: await freePort(host),
  };
  if (opts.haproxy) ports.haproxy = await freePort(host);
  if (opts.xclient) ports.xclient = await freePort(host);
  if (opts.clientCert) ports.ccert = await freePort(host);
  writeFileSync(join(etc, 'main.cf'), postfixMainCf(dir, pki, dovecot, misconfigured));
  writeFileSync(join(etc, 'master.cf'), postfixMasterCf(ports, dovecot !== undefined, pki));
  // Postfix sleeps (300 ms steps, ~2 s here) while a config file's mtime is not yet in
  // the past, to avoid reading a half-written file: backdate them.
  const past = new Date(Date.now() - 60_000);
  for (const f of ['main.cf', 'master.cf']) utimesSync(join(etc, f), past, past);
  const logFile = join(dir, 'maillog');
  const pidFile = join(dir, 'spool', 'pid', 'master.pid');

  const stop = async (): Promise<void> => {
    const pid = readPid(pidFile);
    // The master is a process-group leader; killing the group takes its children along.
    if (pid) await terminate(pid, true);
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // "postfix start" (quick-start: no checks) runs "master -w", which returns once the master is up.
    runDaemonStarter('/usr/sbin/postfix', ['-c', etc, 'start'], join(dir, 'start.out'));
  } catch (err) {
    const out = `${(err as Error).message}\nLog ${logFile}:\n${logTail(logFile)}`;
    await stop();
    if (bindFailed(out)) throw new PortRaceError(out);
    throw new Error(out);
  }
  running.set(dir, { pidFile, group: true });

  const greet = /^220 .*\r\n/;
  const checks: GreetingCheck[] = [
    { name: 'postfix smtp', port: ports.smtp, tls: false, expect: greet },
    { name: 'postfix submission', port: ports.submission, tls: false, expect: greet },
    { name: 'postfix submissions', port: ports.submissions, tls: true, expect: greet },
  ];
  if (ports.haproxy) {
    const send = `PROXY TCP4 127.0.0.1 127.0.0.1 1024 ${ports.haproxy}\r\n`;
    checks.push({ name: 'postfix haproxy', port: ports.haproxy, tls: false, expect: greet, send });
  }
  if (ports.xclient) checks.push({ name: 'postfix xclient', port: ports.xclient, tls: false, expect: greet });
  if (ports.ccert) checks.push({ name: 'postfix ccert', port: ports.ccert, tls: false, expect: greet });
  try {
    await waitForGreetings(
      host,
      checks,
      logFile,
      /\b(fatal|panic): |TLS context initialization failed/,
    );
  } catch (err) {
    const text = (err as Error).message;
    await stop();
    if (bindFailed(text)) throw new PortRaceError(text);
    throw err;
  }

  return { host, ...ports, dir, logFile, stop };
}
