// The verdict on real handshakes with certificates made at test time: verified with the
// right CA, or the exact reason it is not; -verify_return_error turns each into exit 8.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type ServerTls } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import type { Pki } from '../support/certs.js';

async function verdictFor(pick: (pki: Pki) => { certPem: string; keyPem: string }, extra: string[] = [], serverTls: ServerTls = {}) {
  const server = await fakeServer(
    async (client) => {
      client.send('220 ready\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    },
    { implicitTls: { ...tlsOf(pick(testPki())), ...serverTls } },
  );
  try {
    return await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'smtp', ...extra]);
  } finally {
    await server.close();
  }
}

describe('certificate verdicts', () => {
  const ca = () => ['-CAfile', testPki().ca.cert];
  it.each([
    ['leaf with the test CA', (p: Pki) => p.leaf, true, /Verdict verified: chain to a trusted root, and the name "localhost" matches/],
    ['ECDSA leaf', (p: Pki) => p.ecdsa, true, /key {10}EC prime256v1 256 bits/],
    ['expired', (p: Pki) => p.expired, true, /- expired on \d{4}-\d\d-\d\d \(\d+ days ago\)/],
    ['not yet valid', (p: Pki) => p.notYetValid, true, /- not yet valid: valid from \d{4}-\d\d-\d\d/],
    ['wrong host', (p: Pki) => p.wrongHost, true, /- hostname mismatch: the certificate is not for "localhost"; it holds DNS:mail\.other\.test, DNS:other\.test/],
    ['self-signed', (p: Pki) => p.selfSigned, true, /- self-signed certificate/],
    ['unknown CA (no -CAfile)', (p: Pki) => p.leaf, false, /- (unknown issuer|the chain ends in a self-signed root)/],
  ])('%s', async (_name, pick, withCa, expected) => {
    const result = await verdictFor(pick, withCa ? ca() : []);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(expected);
    expect(result.stdout).toContain('221 bye');
  });

  it('with -verify_return_error an expired certificate stops the session with exit 8', async () => {
    const result = await verdictFor((p) => p.expired, [...ca(), '-verify_return_error']);
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(/^mailprobe: certificate verification failed: expired on/m);
    expect(result.stdout).not.toContain('220 ready');
  });

  it('with -showcerts prints the PEM chain', async () => {
    const result = await verdictFor((p) => p.leaf, [...ca(), '-showcerts']);
    expect(result.stdout.match(/-----BEGIN CERTIFICATE-----/g)?.length).toBe(2);
    expect(result.stdout).toContain(testPki().leaf.certPem.split('\n')[1]);
  });

  it('the intermediate chain is shown one line per certificate', async () => {
    const result = await verdictFor((p) => p.viaIntermediate, ca());
    expect(result.stdout).toMatch(/Chain \(3 certificates, leaf first\)\n  0 CN=localhost  <- issued by CN=mailprobe Test Intermediate CA\n  1 CN=mailprobe Test Intermediate CA  <- issued by CN=mailprobe Test CA\n  2 CN=mailprobe Test CA \(self-signed\)/);
    expect(result.stdout).toMatch(/Verdict verified/);
  });

  it('sends no SNI to an IP address, the name otherwise, and what -servername says', async () => {
    const byName = await verdictFor((p) => p.leaf, [...ca(), '-servername', 'localhost']);
    expect(byName.stdout).toMatch(/SNI sent {5}localhost/);
    const none = await verdictFor((p) => p.leaf, [...ca(), '-noservername']);
    expect(none.stdout).toMatch(/SNI sent {5}none/);
  });

  it('-alpn offers protocols and the report shows the one chosen', async () => {
    const result = await verdictFor((p) => p.leaf, [...ca(), '-alpn', 'smtp,imap'], { ALPNProtocols: ['imap'] });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ALPN {9}imap/);
  });

  it('-tls1_2 and -cipher choose the version and cipher; a server without them fails the handshake with exit 6', async () => {
    const result = await verdictFor((p) => p.leaf, [...ca(), '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/protocol {5}TLSv1\.2/);
    expect(result.stdout).toMatch(/cipher {7}TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256/);
    const refused = await verdictFor((p) => p.leaf, [...ca(), '-tls1_2'], { minVersion: 'TLSv1.3' });
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^mailprobe: TLS handshake failed/m);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('-ciphersuites chooses the TLS 1.3 suite', async () => {
    const result = await verdictFor((p) => p.leaf, [...ca(), '-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/cipher {7}TLS_CHACHA20_POLY1305_SHA256/);
  });

  it('a missing -CAfile is a usage error, not a stack trace', async () => {
    const result = await runMailprobe(['-connect', 'localhost:1', '-tls', '-CAfile', '/nonexistent/ca.pem']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('mailprobe: cannot read -CAfile /nonexistent/ca.pem: ENOENT\n');
  });
});
