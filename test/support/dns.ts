/**
 * Real DNS with DNSSEC on loopback, for tests of MX, DANE (TLSA) and MTA-STS lookups:
 * NSD serves zones that are signed at start-up with fresh keys, and Unbound validates
 * them as a recursive resolver. Point mailprobe at `resolver` (`--resolver 127.0.0.1:PORT`).
 *
 *     const dns = await startDns([
 *       { name: 'secure.test', dnssec: 'signed', records: [
 *         { name: 'secure.test', type: 'MX', data: '10 mx1.secure.test.' },
 *         { name: 'mx1.secure.test', type: 'A', data: '127.0.0.1' },
 *         { name: '_25._tcp.mx1.secure.test', type: 'TLSA', data: '3 1 1 ab12…' } ] },
 *       { name: 'plain.test', dnssec: 'unsigned', records: [...] },
 *       { name: 'broken.test', dnssec: 'bogus', records: [...] },
 *     ]);
 *     dns.resolver       // '127.0.0.1:PORT' — Unbound, validating
 *     dns.authoritative  // '127.0.0.1:PORT' — NSD, all zones, answers without recursion
 *     await dns.stop();  // both servers ended, temp dir removed
 *
 * or `useDns(zones)` in a describe block (beforeAll/afterAll). `ensureDnsServers()` says
 * whether NSD, Unbound and ldnsutils are installed (installing them as root), like
 * ensureMailServers; test files skip loudly without them, and fail in CI or as root.
 * `probe(port, name, qtype)` is the harness's own readiness query (rcode and AD only);
 * tests ask with drill (ldnsutils), and mailprobe brings its own client.
 *
 * The design is the real one, in miniature:
 * - One parent zone `test.`, always signed; its DS is Unbound's only trust anchor. Every
 *   ZoneSpec is a child of it (any depth: 'a.b.test' works), delegated to `ns.test.`.
 * - 'signed': signed with its own ECDSA P-256 key (one key, flags 257, signs everything);
 *   the parent holds its DS. Answers carry AD.
 * - 'unsigned': served as written; the parent's signed NSEC proves there is no DS, so the
 *   zone is provably insecure: answers come without AD, never SERVFAIL.
 * - 'bogus': signed and its DS in the parent, so the DNSKEY set validates, but then every
 *   RRSIG over any other type (data, SOA, NSEC) has a byte of its signature changed. A
 *   validating resolver answers SERVFAIL for every name in it, NXDOMAIN included; with the
 *   CD bit it gives the data without AD.
 * - Nothing outside `test.` resolves: Unbound refuses other names (REFUSED, at once), its
 *   only upstream is NSD, and it sends only from 127.0.0.1, so it cannot reach the internet.
 *
 * Records: `name` absolute ('mx1.secure.test', trailing dot optional), inside its zone;
 * `data` in zone-file presentation form, where names are relative to the zone unless they
 * end with a dot ('10 mx1.secure.test.', '3 1 1 ab12…', '"v=STSv1; id=1"'). Each zone
 * gets SOA and NS (ns.test.) records; TTLs are 60 s.
 *
 * Set-up (keys, signing, both servers, until Unbound answers test. SOA with AD) takes
 * 0.5-1 s on two busy shared cores (2 s at worst seen); it is returned as setupMs. Most of
 * it is NSD reading its zones and forking. Neither server needs root.
 */
import { bindFailed, PortRaceError, retryPortRace } from './portRace.js';
import { atProcessEnd } from './processEnd.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './realServers.js';
import { ensurePackages, type ServerAvailability } from './packages.js';

export type DnsRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'TLSA' | 'SRV' | 'CNAME' | 'NS';

export interface DnsRecord {
  name: string;
  type: DnsRecordType;
  /** Presentation form, e.g. '10 mx1.secure.test.' or '3 1 1 ab12…' or '"v=STSv1; id=1"'. */
  data: string;
}

export type DnssecMode = 'signed' | 'unsigned' | 'bogus';

export interface ZoneSpec {
  /** A name under test., e.g. 'secure.test'. */
  name: string;
  records: DnsRecord[];
  dnssec: DnssecMode;
}

export interface DnsInstance {
  /** Unbound, validating: '127.0.0.1:PORT'. */
  resolver: string;
  /** NSD, authoritative for test. and every zone: '127.0.0.1:PORT'. */
  authoritative: string;
  /** The trust anchor Unbound uses: test.'s DS record in presentation form. */
  trustAnchor: string;
  /** Temp dir with keys, zones, configs and logs (nsd.log, unbound.log); removed by stop(). */
  dir: string;
  /** Milliseconds from the call until the resolver answered with validated data. */
  setupMs: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const TTL = 60;
const PARENT = 'test.';
const NS = 'ns.test.';

// ---------------------------------------------------------------- availability

/** Files that must exist, and the Debian package that provides each. */
const REQUIRED: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/nsd', 'nsd'],
  ['/usr/sbin/unbound', 'unbound'],
  ['/usr/bin/ldns-keygen', 'ldnsutils'],
  ['/usr/bin/ldns-signzone', 'ldnsutils'],
  ['/usr/bin/drill', 'ldnsutils'],
];

let availability: ServerAvailability | undefined;

/**
 * Makes sure NSD, Unbound and ldnsutils (ldns-keygen, ldns-signzone, drill) are installed;
 * as root, missing packages are installed with apt-get. Memoized per process.
 */
export function ensureDnsServers(): ServerAvailability {
  availability ??= ensurePackages(REQUIRED);
  return availability;
}

// ---------------------------------------------------------------- zones and signing

const fqdn = (name: string): string => `${name.toLowerCase().replace(/\.$/, '')}.`;
const isUnder = (name: string, zone: string): boolean => name === zone || name.endsWith(`.${zone}`);

function checkZones(zones: ZoneSpec[]): void {
  const seen = new Set<string>();
  for (const z of zones) {
    const zone = fqdn(z.name);
    if (zone === PARENT || !isUnder(zone, PARENT)) throw new Error(`zone ${z.name}: must be a child of ${PARENT}`);
    if (seen.has(zone)) throw new Error(`zone ${z.name} given twice`);
    seen.add(zone);
    for (const r of z.records) {
      // A line break would let data write arbitrary zone-file lines.
      if (/[\r\n]/.test(r.name + r.data)) throw new Error(`zone ${z.name}: record ${JSON.stringify(r)} has a line break`);
      if (!isUnder(fqdn(r.name), zone)) throw new Error(`zone ${z.name}: record name ${r.name} is outside the zone`);
    }
  }
  for (const zone of seen) {
    for (const other of seen) {
      if (other !== zone && isUnder(other, zone)) throw new Error(`zone ${other} is inside zone ${zone}: give it as records`);
    }
  }
}

function zoneText(zone: string, lines: string[]): string {
  const serial = Math.floor(Date.now() / 1000);
  return [
    `$ORIGIN ${zone}`,
    `$TTL ${TTL}`,
    `${zone} IN SOA ${NS} hostmaster.test. ${serial} 3600 600 86400 ${TTL}`,
    `${zone} IN NS ${NS}`,
    ...lines,
    '',
  ].join('\n');
}

const recordLine = (r: DnsRecord): string => `${fqdn(r.name)} ${TTL} IN ${r.type} ${r.data}`;

const run = promisify(execFile);

/** A fresh ECDSA P-256 key with the SEP flag (257) for `zone`; returns its base name and DS. */
async function makeKey(dir: string, zone: string): Promise<{ base: string; ds: string }> {
  const { stdout } = await run('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', zone], { cwd: dir, encoding: 'utf8' });
  const base = stdout.trim();
  const ds = readFileSync(join(dir, `${base}.ds`), 'utf8').trim();
  return { base, ds };
}

/** Signs `file` with one key (it signs every RRset); NSEC; valid from an hour ago for 30 days. */
async function signZone(dir: string, zone: string, file: string, keyBase: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const out = `${file}.signed`;
  const args = ['-o', zone, '-i', String(now - 3600), '-e', String(now + 30 * 86400), '-f', out, file, keyBase];
  await run('ldns-signzone', args, { cwd: dir });
  return out;
}

/**
 * Breaks every signature except those over DNSKEY: the key set still validates against the
 * parent's DS, so the zone is not insecure but bogus. ldns-signzone writes one RR a line,
 * the signature (base64) as the last field; one character of it is changed.
 */
function damageSignatures(signedZone: string): string {
  return signedZone
    .split('\n')
    .map((line) => {
      const f = line.split(/\s+/);
      if (f[3] !== 'RRSIG' || f[4] === 'DNSKEY') return line;
      const sig = f[f.length - 1];
      const c = sig[8] === 'A' ? 'B' : 'A';
      f[f.length - 1] = sig.slice(0, 8) + c + sig.slice(9);
      return f.join('\t');
    })
    .join('\n');
}

interface BuiltZones {
  /** Zone name → signed or plain zone file name in dir. */
  files: Map<string, string>;
  trustAnchor: string;
}

/**
 * Writes, keys and signs the children, then the parent with their DS records. Keys are
 * made and zones signed concurrently (each tool run costs ~30 ms, mostly process start).
 */
async function buildZones(dir: string, zones: ZoneSpec[]): Promise<BuiltZones> {
  const parentKey = makeKey(dir, PARENT);
  const children = await Promise.all(
    zones.map(async (z) => {
      const zone = fqdn(z.name);
      const file = `${zone}zone`;
      writeFileSync(join(dir, file), zoneText(zone, z.records.map(recordLine)));
      const delegation = [`${zone} IN NS ${NS}`];
      if (z.dnssec === 'unsigned') return { zone, file, delegation };
      const key = await makeKey(dir, zone);
      const signed = await signZone(dir, zone, file, key.base);
      if (z.dnssec === 'bogus') writeFileSync(join(dir, signed), damageSignatures(readFileSync(join(dir, signed), 'utf8')));
      return { zone, file: signed, delegation: [...delegation, key.ds] };
    }),
  );
  const parentFile = 'test.zone';
  writeFileSync(join(dir, parentFile), zoneText(PARENT, [`${NS} IN A ${HOST}`, ...children.flatMap((c) => c.delegation)]));
  const key = await parentKey;
  const files = new Map<string, string>(children.map((c) => [c.zone, c.file]));
  files.set(PARENT, await signZone(dir, PARENT, parentFile, key.base));
  return { files, trustAnchor: key.ds };
}

// ---------------------------------------------------------------- configs

function nsdConf(dir: string, port: number, files: Map<string, string>): string {
  const zones = [...files].map(([name, file]) => `zone:\n  name: "${name}"\n  zonefile: "${file}"\n`);
  return `# generated by test/support/dns.ts
server:
  ip-address: ${HOST}@${port}
  port: ${port}
  do-ip6: no
  reuseport: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/nsd.log"
  verbosity: 1
  zonefiles-write: 0
remote-control:
  control-enable: no
${zones.join('')}`;
}

function unboundConf(dir: string, port: number, authPort: number, zones: string[], trustAnchor: string): string {
  const upstream = `${HOST}@${authPort}`;
  // A stub per zone: the delegations name ns.test., whose address alone would send Unbound
  // to port 53. DS queries still reach the parent's data: NSD serves both sides of each cut.
  const stubs = [PARENT, ...zones].map((z) => `stub-zone:\n  name: "${z}"\n  stub-addr: ${upstream}\n`);
  return `# generated by test/support/dns.ts
server:
  interface: ${HOST}@${port}
  port: ${port}
  do-ip4: yes
  do-ip6: no
  do-udp: yes
  do-tcp: yes
  # Queries leave only from loopback: nothing on the internet can be reached.
  outgoing-interface: ${HOST}
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  logfile: "${dir}/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  num-threads: 1
  so-reuseport: no
  outgoing-range: 64
  module-config: "validator iterator"
  harden-dnssec-stripped: yes
  qname-minimisation: no
  prefetch: no
  # Do not look up ns.test.'s address: every zone has its stub address.
  target-fetch-policy: "0 0 0 0 0"
  trust-anchor-signaling: no
  trust-anchor: "${trustAnchor.replace(/\s+/g, ' ')}"
  # test. is a locally served zone by default (RFC 6761): resolve it. Everything else is
  # refused at once, before the iterator could try the root servers.
  local-zone: "${PARENT}" transparent
  local-zone: "." refuse
${stubs.join('')}# Belt and braces: were anything to be looked up outside test., it would go to NSD.
stub-zone:
  name: "."
  stub-addr: ${upstream}
`;
}

// ---------------------------------------------------------------- a DNS probe for readiness

/** rcode and AD of the answer to one UDP query (RD and AD set), or undefined on timeout. */
export function probe(port: number, name: string, qtype: number, timeoutMs = 300): Promise<{ rcode: number; ad: boolean } | undefined> {
  const id = Math.floor(Math.random() * 0x10000);
  const labels = fqdn(name).split('.').filter(Boolean);
  const query = Buffer.concat([
    Buffer.from([id >> 8, id & 0xff, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]),
  ]);
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (v: { rcode: number; ad: boolean } | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) done({ rcode: msg[3] & 0x0f, ad: (msg[3] & 0x20) !== 0 });
    });
    // Connected, so that a port nobody listens on yet fails at once (ICMP port unreachable
    // becomes ECONNREFUSED) instead of after the timeout.
    sock.connect(port, HOST, () => sock.send(query));
  });
}

const SOA = 6;
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

// ---------------------------------------------------------------- processes

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freeDnsPort(): Promise<number> {
  for (;;) {
    const port = await freePort(HOST);
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind({ address: HOST, port, exclusive: true }, () => sock.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/** Both servers run in the foreground, each leading its own process group. */
function spawnDaemon(cmd: string, args: string[], outFile: string): ChildProcess {
  const fd = openSync(outFile, 'a');
  try {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], detached: true });
    child.on('error', () => {}); // a failed spawn shows as exit, below
    return child;
  } finally {
    closeSync(fd);
  }
}

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function terminate(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timedOut = await Promise.race([gone.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    await gone;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** For error messages: the last lines of every log in dir. */
function logs(dir: string): string {
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(log|out)$/.test(f)) : [];
  return names.map((f) => `--- ${f}\n${readText(join(dir, f)).trimEnd().split('\n').slice(-15).join('\n')}`).join('\n') || '(no logs)';
}

/** Servers still running at process exit (a test forgot stop()): killed synchronously. */
const running = new Map<string, ChildProcess[]>();
function killAllSync(): void {
  for (const [dir, children] of running) {
    for (const c of children) {
      if (c.pid !== undefined && !exited(c)) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
  running.clear();
}
atProcessEnd(killAllSync);

/** Polls until `ready` says yes; throws (with the logs) on a server's exit or the deadline. */
async function waitFor(
  what: string,
  dir: string,
  children: ChildProcess[],
  deadline: number,
  ready: () => Promise<string | true>,
): Promise<void> {
  let last = '';
  for (;;) {
    const dead = children.find(exited);
    if (dead) {
      const text = logs(dir);
      const msg = `${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}:\n${text}`;
      throw bindFailed(text) ? new PortRaceError(msg) : new Error(msg);
    }
    const r = await ready();
    if (r === true) return;
    last = r;
    if (Date.now() > deadline) throw new Error(`${what}: ${last}; gave up.\n${logs(dir)}`);
    await sleep(20);
  }
}

/** Signs `zones` under a signed test. and serves them (NSD) behind a validating Unbound. */
export async function startDns(zones: ZoneSpec[]): Promise<DnsInstance> {
  checkZones(zones);
  return retryPortRace(() => startDnsOnce(zones));
}

async function startDnsOnce(zones: ZoneSpec[]): Promise<DnsInstance> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-dns-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => terminate(c)));
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { files, trustAnchor } = await buildZones(dir, zones);
    const authPort = await freeDnsPort();
    const port = await freeDnsPort();
    writeFileSync(join(dir, 'nsd.conf'), nsdConf(dir, authPort, files));
    const childZones = [...files.keys()].filter((z) => z !== PARENT);
    writeFileSync(join(dir, 'unbound.conf'), unboundConf(dir, port, authPort, childZones, trustAnchor));

    running.set(dir, children);
    children.push(spawnDaemon('/usr/sbin/nsd', ['-d', '-c', join(dir, 'nsd.conf')], join(dir, 'nsd.out')));
    children.push(spawnDaemon('/usr/sbin/unbound', ['-d', '-p', '-c', join(dir, 'unbound.conf')], join(dir, 'unbound.out')));

    const deadline = Date.now() + 15_000;
    // NSD first, so that Unbound's first query upstream is answered, not marked as a timeout.
    await waitFor(`NSD on ${HOST}:${authPort}`, dir, children, deadline, async () => {
      const r = await probe(authPort, PARENT, SOA);
      return r?.rcode === 0 ? true : r ? `answered ${RCODE_NAMES[r.rcode] ?? r.rcode}` : 'no answer';
    });
    await waitFor(`Unbound on ${HOST}:${port}`, dir, children, deadline, async () => {
      const r = await probe(port, PARENT, SOA);
      if (r?.rcode === 0 && !r.ad) throw new Error(`Unbound answers ${PARENT} SOA without AD: the chain does not validate.\n${logs(dir)}`);
      return r?.rcode === 0 ? true : r ? `answered ${RCODE_NAMES[r.rcode] ?? r.rcode}` : 'no answer';
    });
    return {
      resolver: `${HOST}:${port}`,
      authoritative: `${HOST}:${authPort}`,
      trustAnchor,
      dir,
      setupMs: Date.now() - started,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** startDns in beforeAll and stop in afterAll; the fields are filled in by beforeAll. */
export function useDns(zones: ZoneSpec[]): DnsInstance {
  const dns = {} as DnsInstance;
  beforeAll(async () => {
    Object.assign(dns, await startDns(zones));
  });
  afterAll(async () => {
    await dns.stop?.();
  });
  return dns;
}
