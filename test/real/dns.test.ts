// The DNS harness (test/support/dns.ts) against what a validating resolver must say:
// AD for the signed zone, no AD (and no SERVFAIL) for the unsigned one, SERVFAIL for the
// bogus one unless CD is set, and nothing at all outside test. Asked with drill (ldnsutils),
// a client independent of the harness and of mailprobe.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { ensureDnsServers, probe, startDns, useDns, type ZoneSpec } from '../support/dns.js';

const availability = ensureDnsServers();

interface Answer {
  rcode: string;
  flags: string[];
  /** The answer section's records of the asked type, as "name ttl class type data" with single spaces. */
  records: string[];
  /** Their data fields only. */
  data: string[];
}

const run = promisify(execFile);

/** One query with drill; DO set (so AD can be given), CD and TCP on request. */
async function ask(server: string, name: string, type: string, opts: { cd?: boolean; tcp?: boolean; dnssecOk?: boolean } = {}): Promise<Answer> {
  const [host, port] = server.split(':');
  const args = [...(opts.dnssecOk === false ? ['-o', 'AD'] : ['-D']), ...(opts.cd ? ['-o', 'CD'] : []), ...(opts.tcp ? ['-t'] : [])];
  let out: string;
  try {
    out = (await run('drill', [...args, '-p', port, `@${host}`, name, type], { encoding: 'utf8', timeout: 10_000 })).stdout;
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? '');
    if (!out) throw err;
  }
  const rcode = /rcode: (\w+)/.exec(out)?.[1];
  const flags = /;; flags: ([a-z ]*);/.exec(out)?.[1].trim().split(/\s+/);
  if (!rcode || !flags) throw new Error(`drill said:\n${out}`);
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(out)?.[1] ?? '';
  const records = section
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim().split(/\s+/).join(' '))
    .filter((l) => l.split(' ')[3] === type);
  return { rcode, flags, records, data: records.map((r) => r.split(' ').slice(4).join(' ')) };
}

const tlsaHash = createHash('sha256').update('mailprobe test key').digest('hex');

/** The same names in each zone, so the zones differ only in their DNSSEC state. */
const mailRecords = (zone: string): ZoneSpec['records'] => [
  { name: zone, type: 'MX', data: `10 mx1.${zone}.` },
  { name: `mx1.${zone}`, type: 'A', data: '127.0.0.1' },
  { name: `mx1.${zone}`, type: 'AAAA', data: '::1' },
  { name: `_25._tcp.mx1.${zone}`, type: 'TLSA', data: `3 1 1 ${tlsaHash}` },
  { name: `_mta-sts.${zone}`, type: 'TXT', data: '"v=STSv1; id=20261130T000000"' },
  { name: `mta-sts.${zone}`, type: 'CNAME', data: `mx1.${zone}.` },
  { name: `_submission._tcp.${zone}`, type: 'SRV', data: `0 1 587 mx1.${zone}.` },
];

const ZONES: ZoneSpec[] = [
  { name: 'secure.test', dnssec: 'signed', records: mailRecords('secure.test') },
  { name: 'plain.test', dnssec: 'unsigned', records: mailRecords('plain.test') },
  { name: 'broken.test', dnssec: 'bogus', records: mailRecords('broken.test') },
];

withRealServers('real NSD and Unbound', availability, () => {
  describe('DNS harness: NSD serving signed zones, Unbound validating', () => {
    const dns = useDns(ZONES);

    it('starts within a few seconds', () => {
      console.log(`DNS set-up (keys, signing, NSD and Unbound, first validated answer): ${dns.setupMs} ms`);
      expect(dns.resolver).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(dns.authoritative).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(dns.setupMs).toBeLessThan(10_000);
    });

    it('signed zone: A and TLSA come with AD', async () => {
      const a = await ask(dns.resolver, 'mx1.secure.test', 'A');
      expect(a.rcode).toBe('NOERROR');
      expect(a.flags).toContain('ad');
      expect(a.data).toEqual(['127.0.0.1']);
      const tlsa = await ask(dns.resolver, '_25._tcp.mx1.secure.test', 'TLSA');
      expect(tlsa.rcode).toBe('NOERROR');
      expect(tlsa.flags).toContain('ad');
      expect(tlsa.data).toEqual([`3 1 1 ${tlsaHash}`]);
    });

    it('signed zone: MX, AAAA ::1, TXT, SRV and CNAME, all with AD', async () => {
      const want: Array<[string, string, string]> = [
        ['secure.test', 'MX', '10 mx1.secure.test.'],
        ['mx1.secure.test', 'AAAA', '::1'],
        ['_mta-sts.secure.test', 'TXT', '"v=STSv1; id=20261130T000000"'],
        ['_submission._tcp.secure.test', 'SRV', '0 1 587 mx1.secure.test.'],
        ['mta-sts.secure.test', 'CNAME', 'mx1.secure.test.'],
      ];
      for (const [name, type, data] of want) {
        const r = await ask(dns.resolver, name, type);
        expect({ name, type, rcode: r.rcode, ad: r.flags.includes('ad'), data: r.data }).toEqual({ name, type, rcode: 'NOERROR', ad: true, data: [data] });
      }
    });

    it('signed zone: a missing name is an authenticated NXDOMAIN; the AD bit alone (no DO) also gets AD', async () => {
      const nx = await ask(dns.resolver, 'nothing.secure.test', 'A');
      expect(nx.rcode).toBe('NXDOMAIN');
      expect(nx.flags).toContain('ad');
      const adOnly = await ask(dns.resolver, 'mx1.secure.test', 'A', { dnssecOk: false });
      expect(adOnly.flags).toContain('ad');
      expect(adOnly.data).toEqual(['127.0.0.1']);
    });

    it('unsigned zone: data without AD, not SERVFAIL (provably insecure: no DS in test.)', async () => {
      for (const [name, type, data] of [
        ['mx1.plain.test', 'A', '127.0.0.1'],
        ['_25._tcp.mx1.plain.test', 'TLSA', `3 1 1 ${tlsaHash}`],
        ['plain.test', 'MX', '10 mx1.plain.test.'],
      ]) {
        const r = await ask(dns.resolver, name, type);
        expect({ name, rcode: r.rcode, ad: r.flags.includes('ad'), data: r.data }).toEqual({ name, rcode: 'NOERROR', ad: false, data: [data] });
      }
    });

    it('bogus zone: SERVFAIL; with CD the data, without AD', async () => {
      for (const [name, type, data] of [
        ['mx1.broken.test', 'A', '127.0.0.1'],
        ['_25._tcp.mx1.broken.test', 'TLSA', `3 1 1 ${tlsaHash}`],
        ['broken.test', 'MX', '10 mx1.broken.test.'],
      ]) {
        const r = await ask(dns.resolver, name, type);
        expect({ name, rcode: r.rcode, data: r.data }).toEqual({ name, rcode: 'SERVFAIL', data: [] });
        const cd = await ask(dns.resolver, name, type, { cd: true });
        expect({ name, rcode: cd.rcode, ad: cd.flags.includes('ad'), data: cd.data }).toEqual({ name, rcode: 'NOERROR', ad: false, data: [data] });
      }
      // Denial is bogus too: the NSEC signatures are damaged as well.
      expect((await ask(dns.resolver, 'nothing.broken.test', 'A')).rcode).toBe('SERVFAIL');
    });

    it('over TCP too', async () => {
      const r = await ask(dns.resolver, '_25._tcp.mx1.secure.test', 'TLSA', { tcp: true });
      expect(r.flags).toContain('ad');
      expect(r.data).toEqual([`3 1 1 ${tlsaHash}`]);
    });

    it('nothing outside test. resolves, and the answer is immediate (no internet tried)', async () => {
      for (const name of ['example.com', 'mx1.secure.test.example.net', 'com']) {
        const started = Date.now();
        const r = await ask(dns.resolver, name, 'A');
        expect({ name, data: r.data }).toEqual({ name, data: [] });
        expect(['REFUSED', 'SERVFAIL', 'NXDOMAIN']).toContain(r.rcode);
        // drill's own wait is 5 s: an answer well before it means nothing was tried beyond test.
        expect(Date.now() - started).toBeLessThan(4000);
      }
      // Inside test. but no zone given: a signed NXDOMAIN from the parent.
      const other = await ask(dns.resolver, 'other.test', 'A');
      expect(other.rcode).toBe('NXDOMAIN');
      expect(other.flags).toContain('ad');
    });

    it('the authoritative server answers directly, with aa and without recursion', async () => {
      const r = await ask(dns.authoritative, 'mx1.secure.test', 'A');
      expect(r.flags).toContain('aa');
      expect(r.flags).not.toContain('ra');
      expect(r.data).toEqual(['127.0.0.1']);
    });
  });

  describe('DNS harness: life cycle', () => {
    it('a zone two labels below test. validates too; stop() ends both servers and removes the temp dir', async () => {
      const dns = await startDns([{ name: 'one.deep.test', dnssec: 'signed', records: [{ name: 'one.deep.test', type: 'A', data: '127.0.0.1' }] }]);
      expect((await ask(dns.resolver, 'one.deep.test', 'A')).flags).toContain('ad');
      await dns.stop();
      expect(existsSync(dns.dir)).toBe(false);
      expect(await probe(Number(dns.resolver.split(':')[1]), 'one.deep.test', 1, 500)).toBeUndefined();
      expect(await probe(Number(dns.authoritative.split(':')[1]), 'one.deep.test', 1, 500)).toBeUndefined();
    });

    it('rejects zones it cannot build, before starting anything', async () => {
      await expect(startDns([{ name: 'example.com', dnssec: 'signed', records: [] }])).rejects.toThrow(/child of test\./);
      await expect(startDns([{ name: 'a.test', dnssec: 'signed', records: [{ name: 'b.test', type: 'A', data: '127.0.0.1' }] }])).rejects.toThrow(/outside the zone/);
      await expect(
        startDns([{ name: 'a.test', dnssec: 'signed', records: [{ name: 'a.test', type: 'TXT', data: '"x"\nevil.test. A 1.2.3.4' }] }]),
      ).rejects.toThrow(/line break/);
    });
  });
});
