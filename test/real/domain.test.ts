// check --mx against real DNS: NSD serving zones signed at start-up, Unbound validating
// them (test/support/dns.ts), a real Postfix and in-process SMTP servers on distinct
// loopback addresses with certificates from the test CA, an MTA-STS policy host on 443. One zone per verdict: DANE valid (3 1 1 and 2 1 1), DANE
// mismatch, bogus signatures, an unsigned zone with TLSA, a signed zone whose MX offers
// no STARTTLS, several MX with A and AAAA, a null MX and no MX at all.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { formatTlsa, tlsaFor } from '../../src/transport/dane.js';
import { makePki, type CertPair, type Pki } from '../support/certs.js';
import { ensureDnsServers, startDns, type DnsInstance, type ZoneSpec } from '../support/dns.js';
import { expectLine, fakeServer, type FakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { ensureMailServers, startPostfix, type PostfixInstance } from '../support/realServers.js';
import { tlsOf } from '../support/pkiOnce.js';
import { endInput } from '../support/childInput.js';

// NSD and Unbound for DNS, Postfix for one of the MX hosts.
const [dnsServers, mailServers] = [ensureDnsServers(), ensureMailServers()];
const availability = !dnsServers.ok ? dnsServers : mailServers;
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '::1'];
/** Where the MTA-STS policy hosts live: the policy URL has no port, so 443 it is. */
const POLICY_ADDRESS = '127.0.0.6';

/** Is `port` free on every test address, so each MX listens on "its" port 25 stand-in? */
async function portFreeEverywhere(port: number): Promise<boolean> {
  {
    const free = await Promise.all(
      ADDRESSES.map(
        (host) =>
          new Promise<boolean>((resolve) => {
            const probe = createServer();
            probe.once('error', () => resolve(false));
            probe.listen(port, host, () => probe.close(() => resolve(true)));
          }),
      ),
    );
    return free.every(Boolean);
  }
}

/** An MX: greeting, EHLO (STARTTLS offered or not), STARTTLS with `cert`, EHLO, QUIT. */
function mx(cert: CertPair, starttls = true) {
  return async (client: Parameters<Parameters<typeof fakeServer>[0]>[0]) => {
    client.send('220 mx.test ESMTP\r\n');
    for (;;) {
      const line = await client.line();
      if (/^EHLO /i.test(line)) client.send(`250-mx.test\r\n${starttls ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
      else if (/^STARTTLS$/i.test(line) && starttls) {
        client.send('220 2.0.0 go ahead\r\n');
        await client.upgrade(tlsOf(cert));
      } else if (/^QUIT$/i.test(line)) {
        client.send('221 bye\r\n');
        client.end();
        return;
      } else client.send('502 5.5.2 not here\r\n');
    }
  };
}

withRealServers('real DNS for check --mx', availability, () => {
  let pki: Pki;
  let dns: DnsInstance;
  let port: number;
  const servers: FakeServer[] = [];
  let policies: HttpsServer;
  let postfix: PostfixInstance;
  let tlsaRecords: { mx1: string; mx2: string; mismatch: string };

  /** openssl s_client's own DANE verdict for one server and record (STARTTLS smtp). */
  const opensslDane = (address: string, name: string, record: string) =>
    new Promise<string>((resolve) => {
      const args = ['s_client', '-connect', `${address}:${port}`, '-starttls', 'smtp', '-servername', name, '-dane_tlsa_domain', name, '-dane_tlsa_rrdata', record, '-dane_ee_no_namechecks', '-verify_return_error', '-brief'];
      const child = execFile('/usr/bin/openssl', args, { timeout: 15_000 }, (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
      endInput(child, 'QUIT\n');
    });

  beforeAll(async () => {
    pki = makePki();
    // A real Postfix is one of the MX hosts (127.0.0.1); the others listen on its port number
    // on their own addresses, so one --port serves every MX, as port 25 does.
    postfix = await startPostfix(pki);
    port = postfix.smtp;
    if (!(await portFreeEverywhere(port))) throw new Error(`port ${port} (Postfix's) is taken on one of ${ADDRESSES.join(', ')}`);
    const mx2 = pki.issue(['mx2.dane.test', 'mx.plain.test', 'mx1.sts.test', 'mx2.sts.test', 'mx.redirect.test', 'live.failover.test', 'mail.srv.test']);
    const policyCert = pki.issue(['mta-sts.sts.test', 'mta-sts.redirect.test']);
    policies = createHttpsServer(tlsOf(policyCert), (req, res) => {
      if (req.headers.host === 'mta-sts.redirect.test') return res.writeHead(301, { location: 'https://elsewhere.test/' }).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('version: STSv1\r\nmode: enforce\r\nmx: mx1.sts.test\r\nmx: *.backup.test\r\nmax_age: 86400\r\n');
    });
    await new Promise<void>((resolve, reject) => {
      policies.once('error', reject);
      policies.listen(443, POLICY_ADDRESS, resolve);
    });
    // 127.0.0.2: the CA's localhost leaf; 127.0.0.3 and ::1: a leaf for mx2.dane.test and mx.plain.test;
    // 127.0.0.4: the same localhost leaf (pinned wrongly by mismatch.test); 127.0.0.5: no STARTTLS.
    servers.push(await fakeServer(mx(pki.leaf), { host: '127.0.0.2', port }));
    // mx2 sends its chain up to the root: a DANE-TA(2) anchor must be in what the server sends.
    const mx2Chain = { ...mx2, certPem: mx2.certPem + pki.ca.certPem };
    servers.push(await fakeServer(mx(mx2Chain), { host: '127.0.0.3', port }));
    servers.push(await fakeServer(mx(mx2Chain), { host: '::1', port }));
    servers.push(await fakeServer(mx(pki.leaf), { host: '127.0.0.4', port }));
    servers.push(await fakeServer(mx(pki.leaf, false), { host: '127.0.0.5', port }));
    const tlsa = (pem: string, usage: number) => formatTlsa(tlsaFor(pem, usage, 1, 1), true);
    tlsaRecords = { mx1: tlsa(pki.leaf.certPem, 3), mx2: tlsa(pki.ca.certPem, 2), mismatch: tlsa(pki.ecdsa.certPem, 3) };
    const zones: ZoneSpec[] = [
      {
        name: 'dane.test',
        dnssec: 'signed',
        records: [
          { name: 'dane.test', type: 'MX', data: '20 mx2.dane.test.' },
          { name: 'dane.test', type: 'MX', data: '10 mx1.dane.test.' },
          { name: 'mx1.dane.test', type: 'A', data: '127.0.0.2' },
          { name: 'mx2.dane.test', type: 'A', data: '127.0.0.3' },
          { name: 'mx2.dane.test', type: 'AAAA', data: '::1' },
          { name: `_${port}._tcp.mx1.dane.test`, type: 'TLSA', data: tlsa(pki.leaf.certPem, 3) },
          { name: `_${port}._tcp.mx2.dane.test`, type: 'TLSA', data: tlsa(pki.ca.certPem, 2) },
          { name: '_smtp._tls.dane.test', type: 'TXT', data: '"v=TLSRPTv1; rua=mailto:tlsrpt@dane.test"' },
        ],
      },
      {
        name: 'sts.test',
        dnssec: 'unsigned',
        records: [
          { name: 'sts.test', type: 'MX', data: '10 mx1.sts.test.' },
          { name: 'sts.test', type: 'MX', data: '20 mx2.sts.test.' },
          { name: 'mx1.sts.test', type: 'A', data: '127.0.0.3' },
          { name: 'mx2.sts.test', type: 'A', data: '127.0.0.3' },
          { name: '_mta-sts.sts.test', type: 'TXT', data: '"v=STSv1; id=20261130"' },
          { name: 'mta-sts.sts.test', type: 'A', data: POLICY_ADDRESS },
          { name: '_smtp._tls.sts.test', type: 'TXT', data: '"v=TLSRPTv1; rua=mailto:tlsrpt@sts.test,ftp://reports.sts.test"' },
        ],
      },
      {
        name: 'redirect.test',
        dnssec: 'unsigned',
        records: [
          { name: 'redirect.test', type: 'MX', data: '10 mx.redirect.test.' },
          { name: 'mx.redirect.test', type: 'A', data: '127.0.0.3' },
          { name: '_mta-sts.redirect.test', type: 'TXT', data: '"v=STSv1; id=1"' },
          { name: 'mta-sts.redirect.test', type: 'A', data: POLICY_ADDRESS },
        ],
      },
      {
        name: 'postfix.test',
        dnssec: 'signed',
        records: [
          { name: 'postfix.test', type: 'MX', data: '10 localhost.postfix.test.' },
          { name: 'localhost.postfix.test', type: 'A', data: '127.0.0.1' },
          { name: `_${port}._tcp.localhost.postfix.test`, type: 'TLSA', data: tlsa(pki.leaf.certPem, 3) },
          { name: '_smtp._tls.postfix.test', type: 'TXT', data: '"v=TLSRPTv1; rua=mailto:tlsrpt@postfix.test"' },
        ],
      },
      {
        name: 'mismatch.test',
        dnssec: 'signed',
        records: [
          { name: 'mismatch.test', type: 'MX', data: '10 mx.mismatch.test.' },
          { name: 'mx.mismatch.test', type: 'A', data: '127.0.0.4' },
          { name: `_${port}._tcp.mx.mismatch.test`, type: 'TLSA', data: tlsa(pki.ecdsa.certPem, 3) },
        ],
      },
      {
        name: 'unsent.test',
        dnssec: 'signed',
        records: [
          { name: 'unsent.test', type: 'MX', data: '10 localhost.unsent.test.' },
          { name: 'localhost.unsent.test', type: 'A', data: '127.0.0.2' },
          // The root pinned as DANE-TA, but 127.0.0.2 sends its leaf alone: no anchor in the chain.
          { name: `_${port}._tcp.localhost.unsent.test`, type: 'TLSA', data: tlsa(pki.ca.certPem, 2) },
        ],
      },
      {
        name: 'bogus.test',
        dnssec: 'bogus',
        records: [
          { name: 'bogus.test', type: 'MX', data: '10 mx.bogus.test.' },
          { name: 'mx.bogus.test', type: 'A', data: '127.0.0.2' },
        ],
      },
      {
        name: 'plain.test',
        dnssec: 'unsigned',
        records: [
          { name: 'plain.test', type: 'MX', data: '10 mx.plain.test.' },
          { name: 'mx.plain.test', type: 'A', data: '127.0.0.3' },
          { name: `_${port}._tcp.mx.plain.test`, type: 'TLSA', data: tlsa(pki.leaf.certPem, 3) },
        ],
      },
      {
        name: 'nostarttls.test',
        dnssec: 'signed',
        records: [
          { name: 'nostarttls.test', type: 'MX', data: '10 mx.nostarttls.test.' },
          { name: 'mx.nostarttls.test', type: 'A', data: '127.0.0.5' },
          { name: `_${port}._tcp.mx.nostarttls.test`, type: 'TLSA', data: tlsa(pki.leaf.certPem, 3) },
        ],
      },
      {
        name: 'failover.test',
        dnssec: 'unsigned',
        records: [
          { name: 'failover.test', type: 'MX', data: '10 dead.failover.test.' },
          { name: 'failover.test', type: 'MX', data: '20 live.failover.test.' },
          // Nothing listens on 127.0.0.7: the connection is refused, as a dead MX's would be.
          { name: 'dead.failover.test', type: 'A', data: '127.0.0.7' },
          { name: 'live.failover.test', type: 'A', data: '127.0.0.3' },
        ],
      },
      {
        name: 'srv.test',
        dnssec: 'signed',
        records: [
          { name: '_submission._tcp.srv.test', type: 'SRV', data: `10 5 ${port} mail.srv.test.` },
          { name: '_submission._tcp.srv.test', type: 'SRV', data: `20 5 ${port} dead.srv.test.` },
          { name: '_pop3._tcp.srv.test', type: 'SRV', data: '0 0 0 .' },
          { name: 'mail.srv.test', type: 'A', data: '127.0.0.3' },
          { name: 'dead.srv.test', type: 'A', data: '127.0.0.7' },
        ],
      },
      { name: 'nullmx.test', dnssec: 'signed', records: [{ name: 'nullmx.test', type: 'MX', data: '0 .' }] },
      { name: 'nomx.test', dnssec: 'signed', records: [{ name: 'nomx.test', type: 'A', data: '127.0.0.2' }] },
    ];
    dns = await startDns(zones);
    console.log(`DNS (NSD + Unbound, zones signed at start-up) ready in ${dns.setupMs} ms`);
  });

  afterAll(async () => {
    for (const server of servers) await server.close();
    await new Promise((resolve) => (policies ? policies.close(resolve) : resolve(undefined)));
    await dns?.stop();
    await postfix?.stop();
  });

  const check = (...args: string[]) => runMailprobe(['check', '--mx', '--resolver', dns.resolver, '--port', String(port), '--CAfile', pki.ca.cert, '--no-versions', ...args]);
  type Json = { exitCode: number; targets: Array<{ mx: string; address: string; preference: number; domain: string; verdict: string; checks: Array<{ id: string; verdict: string; details?: Record<string, unknown> }> }>; domains: Array<{ domain: string; verdict: string; mx?: { kind: string; status: string } }> };
  const json = async (...args: string[]): Promise<Json & { code: number | null; stderr: string }> => {
    const result = await check('--json', ...args);
    return { ...(JSON.parse(result.stdout) as Json), code: result.code, stderr: result.stderr };
  };
  const row = (target: Json['targets'][number], id: string) => target.checks.find((c) => c.id === id);

  describe('check --mx', () => {
    it('DANE valid: every MX in preference order, every address (A and AAAA), 3 1 1 and 2 1 1 matched, DNSSEC secure', async () => {
      const report = await json('dane.test');
      expect(report.stderr).toBe('');
      expect(report.targets.map((t) => [t.preference, t.mx, t.address])).toEqual([
        [10, 'mx1.dane.test', '127.0.0.2'],
        [20, 'mx2.dane.test', '127.0.0.3'],
        [20, 'mx2.dane.test', '::1'],
      ]);
      for (const target of report.targets) {
        expect(target.domain).toBe('dane.test');
        expect(row(target, 'dnssec')).toMatchObject({ verdict: 'ok', details: { status: 'secure' } });
        expect(row(target, 'dane')).toMatchObject({ verdict: 'ok', details: { status: 'valid' } });
      }
      expect(row(report.targets[0], 'dane')?.details?.matched).toMatch(/^3 1 1 [0-9a-f]{64}$/);
      expect(row(report.targets[1], 'dane')?.details).toMatchObject({ matched: expect.stringMatching(/^2 1 1 /), depth: 1 });
      // mx1's certificate names localhost, not mx1.dane.test: DANE-EE ignores that, PKIX does not.
      expect(row(report.targets[0], 'certificate.hostname')).toMatchObject({ verdict: 'info' });
      expect(report.domains).toEqual([expect.objectContaining({ domain: 'dane.test', verdict: 'ok', mx: expect.objectContaining({ kind: 'mx', status: 'secure' }) })]);
      expect(report.code).toBe(0);
    });

    it('a real Postfix as the MX: STARTTLS, its certificate pinned by DANE-EE, DNSSEC secure', async () => {
      const report = await json('postfix.test');
      const [target] = report.targets;
      expect([target.mx, target.address]).toEqual(['localhost.postfix.test', '127.0.0.1']);
      expect(row(target, 'tls.starttls')).toMatchObject({ verdict: 'ok' });
      expect(row(target, 'dane')).toMatchObject({ verdict: 'ok', details: { status: 'valid', depth: 0 } });
      expect(row(target, 'dnssec')).toMatchObject({ verdict: 'ok', details: { status: 'secure' } });
      expect(row(target, 'greeting')).toMatchObject({ verdict: 'ok' });
      expect(report.code).toBe(0);
    });

    it('--first stops at the first MX that answers; the human report has a block per domain and a summary', async () => {
      const result = await check('--first', 'dane.test');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Domain dane\.test$/m);
      expect(result.stdout).toMatch(new RegExp(`^mx1\\.dane\\.test 127\\.0\\.0\\.2:${port} \\(STARTTLS smtp\\)`, 'm'));
      expect(result.stdout).not.toContain('mx2.dane.test 127.0.0.3');
      expect(result.stdout).toMatch(/ok {4}dane +TLSA 3 1 1 [0-9a-f]+… \(DANE-EE\(3\) SPKI\(1\) SHA2-256\(1\)\) matches at depth 0/);
      expect(result.stdout).toMatch(/^dane\.test: \w+ \(1 MX addresses: 1 ok\)$/m);
    });

    it('DANE mismatch: the TLSA records match nothing, a fail (exit 2)', async () => {
      const report = await json('mismatch.test');
      expect(row(report.targets[0], 'dane')).toMatchObject({ verdict: 'fail', details: { status: 'invalid' } });
      expect(report.code).toBe(2);
    });

    it('bogus signatures: DNSSEC bogus is a fail, and DANE cannot be used', async () => {
      const report = await json('bogus.test');
      expect(report.domains[0].mx).toMatchObject({ status: 'bogus' });
      expect(row(report.targets[0], 'dnssec')).toMatchObject({ verdict: 'fail', details: { status: 'bogus' } });
      expect(row(report.targets[0], 'dane')).toMatchObject({ verdict: 'fail', details: { status: 'bogus' } });
      expect(report.code).toBe(2);
    });

    it('an unsigned zone with TLSA: insecure, the TLSA not used, the check itself fine', async () => {
      const report = await json('plain.test');
      expect(row(report.targets[0], 'dnssec')).toMatchObject({ verdict: 'info', details: { status: 'insecure' } });
      expect(row(report.targets[0], 'dane')).toMatchObject({ verdict: 'info', details: { status: 'insecure' } });
      expect(row(report.targets[0], 'certificate.hostname')).toMatchObject({ verdict: 'ok' });
      expect(report.code).toBe(0);
    });

    it('TLSA published but no STARTTLS: a fail', async () => {
      const report = await json('nostarttls.test');
      expect(row(report.targets[0], 'tls.starttls')).toMatchObject({ verdict: 'fail' });
      expect(row(report.targets[0], 'dane')).toMatchObject({ verdict: 'fail', details: { status: 'invalid' } });
      expect(report.code).toBe(2);
    });

    it('a null MX accepts no mail (exit 0, nothing to connect to); no MX means the domain itself', async () => {
      const nullMx = await check('nullmx.test');
      expect(nullMx.code).toBe(0);
      expect(nullMx.stdout).toMatch(/null MX \(RFC 7505\): it accepts no mail/);
      const implicit = await json('nomx.test');
      expect(implicit.domains[0].mx).toMatchObject({ kind: 'implicit' });
      expect(implicit.targets.map((t) => [t.mx, t.address])).toEqual([['nomx.test', '127.0.0.2']]);
      expect(row(implicit.targets[0], 'dane')).toMatchObject({ details: { status: 'none' } });
    });

    it('MTA-STS: the policy fetched over verified HTTPS; an MX the enforce policy does not list fails; TLS-RPT read, a bad rua warned', async () => {
      const report = await json('sts.test');
      const domainRows = (report.domains[0] as unknown as { checks: Array<{ id: string; verdict: string; details?: Record<string, unknown> }>; mtaSts: unknown; tlsRpt: unknown });
      expect(domainRows.mtaSts).toEqual({ id: '20261130', policy: { mode: 'enforce', maxAge: 86400, mx: ['mx1.sts.test', '*.backup.test'] } });
      expect(domainRows.tlsRpt).toEqual({ rua: ['mailto:tlsrpt@sts.test', 'ftp://reports.sts.test'] });
      expect(domainRows.checks.find((c) => c.id === 'tls_rpt')).toMatchObject({ verdict: 'warn', details: { rua: ['mailto:tlsrpt@sts.test', 'ftp://reports.sts.test'] } });
      const [mx1, mx2] = report.targets;
      expect(row(mx1, 'mta_sts')).toMatchObject({ verdict: 'ok', details: { mode: 'enforce', mxMatch: true } });
      expect(row(mx2, 'mta_sts')).toMatchObject({ verdict: 'fail', details: { mode: 'enforce', mxMatch: false } });
      expect(report.code).toBe(2);
      const human = await check('sts.test');
      // The domain's own lines come first, then its hosts.
      expect(human.stdout.indexOf('mta_sts')).toBeLessThan(human.stdout.indexOf('mx1.sts.test 127.0.0.3'));
      expect(human.stdout).toMatch(/MTA-STS enforce, max_age 86400 s, mx mx1\.sts\.test \*\.backup\.test \(id 20261130\)/);
    });

    it('MTA-STS: a policy URL that redirects is a failed fetch, as RFC 8461 says', async () => {
      const report = await json('redirect.test');
      const rows = (report.domains[0] as unknown as { checks: Array<{ id: string; verdict: string; summary: string }> }).checks;
      expect(rows.find((c) => c.id === 'mta_sts')).toMatchObject({ verdict: 'fail', summary: expect.stringMatching(/redirects to https:\/\/elsewhere\.test\/, which RFC 8461 §3\.3 forbids/) });
      expect(report.code).toBe(2);
    });

    it('the session: the first MX that answers, DANE deciding the verdict, MTA-STS judged in the TLS report', async () => {
      const session = (domain: string) =>
        runMailprobe(['--mx', domain, '-resolver', dns.resolver, '-port', String(port), '-CAfile', pki.ca.cert, '-verify_return_error'], { input: 'QUIT\n' });
      const dane = await session('dane.test');
      expect(dane.stderr).toBe('');
      expect(dane.code).toBe(0);
      expect(dane.stdout).toMatch(/-- dane\.test: MX 10 mx1\.dane\.test, 20 mx2\.dane\.test \(DNSSEC secure\)/);
      expect(dane.stdout).toMatch(new RegExp(`-- mx1\\.dane\\.test: DANE, TLSA at _${port}\\._tcp\\.mx1\\.dane\\.test: 3 1 1 `));
      expect(dane.stdout).toMatch(/Verdict verified by DANE: TLSA 3 1 1 .*matches the server's certificate/);
      expect(dane.stdout).toMatch(/^221 bye$/m);
      const sts = await session('sts.test');
      expect(sts.code).toBe(0);
      expect(sts.stdout).toMatch(/-- sts\.test: MTA-STS enforce, mx mx1\.sts\.test \*\.backup\.test \(id 20261130\)/);
      expect(sts.stdout).toMatch(/MTA-STS +enforce policy: mx1\.sts\.test is listed and the certificate is valid for it/);
      const failover = await session('failover.test');
      expect(failover.code).toBe(0);
      expect(failover.stdout).toMatch(new RegExp(`-- dead\\.failover\\.test 127\\.0\\.0\\.7:${port}: .*refused.*; trying the next MX address`));
      expect(failover.stdout).toMatch(/^220 mx\.test ESMTP$/m);
      const nullMx = await session('nullmx.test');
      expect(nullMx.code).toBe(3);
      expect(nullMx.stderr).toMatch(/null MX \(RFC 7505\): it accepts no mail/);
    });

    it('--srv: the service record says where and how; the certificate is checked against the target and the domain is reported', async () => {
      const srv = (service: string) => runMailprobe(['--srv', 'srv.test', service, '-resolver', dns.resolver, '-CAfile', pki.ca.cert, '-verify_return_error'], { input: 'QUIT\n' });
      const submission = await srv('submission');
      expect(submission.stderr).toBe('');
      expect(submission.code).toBe(0);
      expect(submission.stdout).toMatch(new RegExp(`-- _submission\\._tcp\\.srv\\.test: 10 5 ${port} mail\\.srv\\.test, 20 5 ${port} dead\\.srv\\.test \\(DNSSEC secure\\)`));
      expect(submission.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "mail\.srv\.test" matches/);
      expect(submission.stdout).toMatch(/SRV domain +the certificate is not valid for srv\.test, the domain the SRV record came from/);
      const pop3 = await srv('pop3');
      expect(pop3.code).toBe(3);
      expect(pop3.stderr).toMatch(/_pop3\._tcp\.srv\.test says the service is not offered \(target "\."\)/);
      const checked = await runMailprobe(['check', '--srv', 'srv.test', 'submission', '--resolver', dns.resolver, '--CAfile', pki.ca.cert, '--no-versions', '--json']);
      const targets = JSON.parse(checked.stdout).targets as Json['targets'] & Array<{ srvTarget: string }>;
      expect(targets.map((t) => [t.srvTarget, t.address, t.verdict])).toEqual([
        ['mail.srv.test', '127.0.0.3', 'ok'],
        ['dead.srv.test', '127.0.0.7', 'error'],
      ]);
      expect(row(targets[0], 'certificate.srv_domain')).toMatchObject({ verdict: 'info', details: { name: 'srv.test', matches: false } });
      expect(checked.code).toBe(3);
      const unknown = await srv('gopher');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/"gopher" is not a service mailprobe looks up/);
    });

    it('DANE verdicts agree with posttls-finger (Postfix) and openssl s_client on the same servers and records', async () => {
      // posttls-finger asks the C library's resolver, which only knows port 53: a relay on
      // 127.0.0.53:53 hands its questions to Unbound, and a resolv.conf naming it is mounted
      // over /etc/resolv.conf in a mount namespace of posttls-finger's own.
      const [host, resolverPort] = dns.resolver.split(':');
      const relay = createSocket('udp4');
      relay.on('message', (message, from) => {
        const upstream = createSocket('udp4');
        upstream.on('message', (answer) => {
          relay.send(answer, from.port, from.address);
          upstream.close();
        });
        upstream.send(message, Number(resolverPort), host);
      });
      await new Promise<void>((resolve) => relay.bind(53, '127.0.0.53', resolve));
      const dir = mkdtempSync(join(tmpdir(), 'mailprobe-posttls-'));
      writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
      writeFileSync(join(dir, 'main.cf'), `compatibility_level = 3.6\nsmtp_dns_support_level = dnssec\nsmtp_tls_CAfile = ${pki.ca.cert}\n`);
      const finger = (destination: string) =>
        new Promise<string>((resolve) => {
          const script = `mount --bind ${dir}/resolv.conf /etc/resolv.conf && exec /usr/sbin/posttls-finger -c -l dane -L summary "${destination}"`;
          execFile('unshare', ['-m', 'sh', '-c', script], { env: { ...process.env, MAIL_CONFIG: dir }, timeout: 20_000 }, (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
        });
      try {
        const cases: Array<[string, string, string, string, string]> = [
          ['dane.test', 'mx1.dane.test', '127.0.0.2', 'valid', tlsaRecords.mx1],
          ['dane.test', 'mx2.dane.test', '127.0.0.3', 'valid', tlsaRecords.mx2],
          ['mismatch.test', 'mx.mismatch.test', '127.0.0.4', 'invalid', tlsaRecords.mismatch],
          ['unsent.test', 'localhost.unsent.test', '127.0.0.2', 'invalid', tlsaRecords.mx2],
        ];
        for (const [domain, mxHost, address, verdict, record] of cases) {
          const ours = (await json(domain)).targets.find((t) => t.mx === mxHost && t.address === address)!;
          expect(row(ours, 'dane')?.details?.status).toBe(verdict);
          const postfix = await finger(`[${mxHost}]:${port}`);
          const openssl = await opensslDane(address, mxHost, record);
          if (verdict === 'valid') {
            expect(postfix).toMatch(/Verified TLS connection established/);
            expect(openssl).toMatch(/Verification: OK/);
          } else {
            expect(postfix).toMatch(/no matching DANE TLSA records/);
            expect(openssl).not.toMatch(/Verification: OK/);
          }
        }
      } finally {
        relay.close();
      }
    });

    it('several domains at once: the worst exit code; a domain that does not exist is one clear line', async () => {
      const report = await json('dane.test', 'mismatch.test', 'missing.test');
      expect(report.domains.map((d) => [d.domain, d.verdict])).toEqual([
        ['dane.test', 'ok'],
        ['mismatch.test', 'fail'],
        ['missing.test', 'error'],
      ]);
      expect(report.code).toBe(3);
      const human = await check('missing.test');
      expect(human.stdout).toMatch(/the domain missing\.test does not exist \(NXDOMAIN\)/);
      expect(human.code).toBe(3);
    });
  });
});
