// DANE without DNS: -dane_tlsa_rrdata as s_client spells it, in a session and in check,
// against servers whose certificates no CA here vouches for — and openssl s_client's own
// DANE verdict on the same server and records, side by side.
import { execFile } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTlsa, tlsaFor } from '../../src/transport/dane.js';
import { fakeServer, expectLine, type FakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { endInput } from '../support/childInput.js';

const pki = testPki();
const servers: FakeServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

/** An SMTP server on implicit TLS with this certificate, answering QUIT. */
async function smtps(pair: { certPem: string; keyPem: string }): Promise<number> {
  const server = await fakeServer(
    async (client) => {
      client.send('220 dane.test ESMTP\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    },
    { implicitTls: tlsOf(pair) },
  );
  servers.push(server);
  return server.port;
}

const rrdata = (usage: number, selector: number, matching: number, pem = pki.selfSigned.certPem) => formatTlsa(tlsaFor(pem, usage, selector, matching), true);

/** openssl s_client with the same records: its "Verification" line, or its error. */
function opensslDane(port: number, records: string[]): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-dane_tlsa_domain', 'localhost', '-verify_return_error', '-brief'];
  for (const record of records) args.push('-dane_tlsa_rrdata', record);
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/openssl', args, { timeout: 10_000 }, (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
    endInput(child, 'QUIT\n');
  });
}

describe('-dane_tlsa_rrdata', () => {
  it('a DANE-EE record for a self-signed certificate: verified by DANE, as openssl s_client says too', async () => {
    const port = await smtps(pki.selfSigned);
    const record = rrdata(3, 1, 1);
    const result = await runMailprobe(['-connect', `localhost:${port}`, '-tls', '-proto', 'smtp', '-dane_tlsa_rrdata', record, '-verify_return_error'], { input: 'QUIT\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Verdict verified by DANE: TLSA ${record.slice(0, 30)}`);
    expect(result.stdout).toMatch(/DANE-EE\(3\) SPKI\(1\) SHA2-256\(1\)\) matches the server's certificate/);
    expect(result.stdout).toMatch(/PKIX +the CA chain alone would not verify \(self-signed certificate/);
    const openssl = await opensslDane(port, [record]);
    expect(openssl).toMatch(/Verification: OK/);
    expect(openssl).toMatch(/DANE TLSA 3 1 1 .*matched EE certificate at depth 0/);
  });

  it('a record that matches nothing: exit 8 with -verify_return_error, and openssl s_client fails it too', async () => {
    const port = await smtps(pki.selfSigned);
    const record = rrdata(3, 1, 1, pki.ecdsa.certPem);
    const result = await runMailprobe(['-connect', `localhost:${port}`, '-tls', '-proto', 'smtp', '-dane_tlsa_rrdata', record, '-verify_return_error'], { input: 'QUIT\n' });
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(/certificate verification failed: DANE: TLSA 3 1 1 [0-9a-f]+…: does not match the server's certificate/);
    const openssl = await opensslDane(port, [record]);
    expect(openssl).not.toMatch(/Verification: OK/);
    expect(openssl).toMatch(/verify error|Verification error/i);
  });

  it('DANE-TA on the intermediate: the leaf must name the host; several records, the one that matches is named', async () => {
    const port = await smtps(pki.viaIntermediate);
    const intermediate = rrdata(2, 0, 1, pki.intermediate.certPem);
    const unrelated = rrdata(3, 1, 1, pki.ecdsa.certPem);
    const args = ['-connect', `localhost:${port}`, '-tls', '-proto', 'smtp', '-dane_tlsa_rrdata', unrelated, '-dane_tlsa_rrdata', intermediate, '-verify_return_error'];
    const good = await runMailprobe(args, { input: 'QUIT\n' });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/verified by DANE: TLSA 2 0 1 .*DANE-TA\(2\) Cert\(0\) SHA2-256\(1\)\) matches the trust anchor at depth 1/);
    const openssl = await opensslDane(port, [unrelated, intermediate]);
    expect(openssl).toMatch(/Verification: OK/);
    const otherName = await runMailprobe([...args, '-dane_tlsa_domain', 'mx.example.org'], { input: 'QUIT\n' });
    expect(otherName.code).toBe(8);
    expect(otherName.stderr).toMatch(/the trust anchor matched, but the certificate is not for "mx\.example\.org"/);
  });

  it('records SMTP cannot use are named; with none usable nothing is authenticated', async () => {
    const port = await smtps(pki.leaf);
    const pkixEe = rrdata(1, 1, 1, pki.leaf.certPem);
    const result = await runMailprobe(['-connect', `localhost:${port}`, '-tls', '-proto', 'smtp', '-dane_tlsa_rrdata', pkixEe, '-CAfile', pki.ca.cert], { input: 'QUIT\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/NOT verified:\n\s+- DANE: no usable TLSA record, so nothing authenticates the server\n\s+- TLSA 1 1 1 [0-9a-f]+… is unusable: PKIX-EE\(1\) is not usable for SMTP/);
  });

  it('the report says which chain certificates the server did not send (found in the local trust store)', async () => {
    const leafOnly = await runMailprobe(['-connect', `localhost:${await smtps(pki.leaf)}`, '-tls', '-proto', 'smtp', '-CAfile', pki.ca.cert], { input: 'QUIT\n' });
    expect(leafOnly.stdout).toMatch(/^ {2}0 CN=localhost {2}<- issued by CN=mailprobe Test CA$/m);
    expect(leafOnly.stdout).toMatch(/^ {2}1 CN=mailprobe Test CA \(self-signed\) \[local trust store, not sent\]$/m);
    const withIntermediate = await runMailprobe(['-connect', `localhost:${await smtps(pki.viaIntermediate)}`, '-tls', '-proto', 'smtp', '-CAfile', pki.ca.cert], { input: 'QUIT\n' });
    expect(withIntermediate.stdout).toMatch(/^ {2}1 CN=mailprobe Test Intermediate CA {2}<- issued by CN=mailprobe Test CA$/m);
    expect(withIntermediate.stdout).toMatch(/^ {2}2 CN=mailprobe Test CA \(self-signed\) \[local trust store, not sent\]$/m);
  });

  it('bad records are one clear line and exit 2', async () => {
    for (const [record, message] of [
      ['3 1 1', /USAGE SELECTOR MATCHING-TYPE HEX/],
      ['3 1 1 xyz', /hexadecimal/],
    ] as const) {
      const result = await runMailprobe(['-connect', 'localhost:1', '-tls', '-dane_tlsa_rrdata', record]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
    const domainAlone = await runMailprobe(['-connect', 'localhost:1', '-tls', '-dane_tlsa_domain', 'x.example']);
    expect(domainAlone.code).toBe(2);
    expect(domainAlone.stderr).toMatch(/-dane_tlsa_domain needs the records too/);
  });

  it('check: the dane row decides; the CA chain failing is then information, not a failure', async () => {
    const port = await smtps(pki.selfSigned);
    const good = await runMailprobe(['check', `localhost:${port}`, '--tls', '--proto', 'smtp', '--no-versions', '--dane-tlsa-rrdata', rrdata(3, 1, 1), '--json']);
    const report = JSON.parse(good.stdout);
    const checks = Object.fromEntries(report.targets[0].checks.map((check: { id: string }) => [check.id, check]));
    expect(checks.dane).toMatchObject({ verdict: 'ok', details: { status: 'valid', matched: rrdata(3, 1, 1), depth: 0 } });
    expect(checks['certificate.chain'].verdict).toBe('info');
    const bad = await runMailprobe(['check', `localhost:${port}`, '--tls', '--proto', 'smtp', '--no-versions', '--dane-tlsa-rrdata', rrdata(3, 1, 1, pki.ecdsa.certPem), '--json']);
    const badChecks = JSON.parse(bad.stdout).targets[0].checks;
    expect(badChecks.find((check: { id: string }) => check.id === 'dane')).toMatchObject({ verdict: 'fail', details: { status: 'invalid' } });
    expect(bad.code).toBe(2);
  });
});
