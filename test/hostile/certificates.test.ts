// Hazard: certificates and TLS that must not be trusted, and control characters in
// certificate fields. The report names the exact reason; -verify_return_error stops with
// exit 8; a hostile subject or SAN cannot touch the terminal.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type ServerTls } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import type { Pki } from '../support/certs.js';

/** A self-signed certificate whose subject and SAN carry escape sequences and a bidi override. */
function hostileCertificate(): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mp-evil-'));
  const subject = '/CN=evil\x1b]0;pwned\x07\u202etxt';
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-utf8',
    '-subj', subject, '-addext', 'subjectAltName=DNS:bad\x1b[2Jname.test',
  ], { stdio: 'ignore' });
  return { certPem: readFileSync(join(dir, 'c.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'k.pem'), 'utf8') };
}

async function session(tls: ServerTls, args: string[]) {
  const server = await fakeServer(
    async (client) => {
      client.send('220 mx\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    },
    { implicitTls: tls },
  );
  try {
    return await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'smtp', ...args], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
  } finally {
    await server.close();
  }
}

const ca = () => ['-CAfile', testPki().ca.cert];

describe('untrusted certificates: the exact reason, and exit 8 with -verify_return_error', () => {
  it.each([
    ['expired', (p: Pki) => p.expired, ca, /expired on \d{4}-\d\d-\d\d \(\d+ days ago\)/],
    ['not yet valid', (p: Pki) => p.notYetValid, ca, /not yet valid: valid from/],
    ['self-signed', (p: Pki) => p.selfSigned, ca, /self-signed certificate: no trusted CA issued it/],
    ['unknown CA', (p: Pki) => p.leaf, () => [], /unknown issuer|the chain ends in a self-signed root/],
    ['wrong host', (p: Pki) => p.wrongHost, ca, /hostname mismatch: the certificate is not for "localhost"/],
  ])('%s', async (_name, pick, trust, reason) => {
    const shown = await session(tlsOf(pick(testPki())), trust());
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(reason);
    const strict = await session(tlsOf(pick(testPki())), [...trust(), '-verify_return_error']);
    expect(strict.code).toBe(8);
    expect(strict.stderr).toMatch(reason);
    expect(strict.stdout).not.toContain('220 mx');
  });

  it('weak key and SHA-1 are flagged in the report', async () => {
    const weak = await session(tlsOf(testPki().weakRsa1024), ca());
    expect(weak.stdout).toMatch(/key {10}\x1b\[33mRSA 1024 bits \(weak\)/);
    const sha1 = await session({ ...tlsOf(testPki().sha1), ciphers: 'DEFAULT:@SECLEVEL=0' }, ca());
    expect(sha1.stdout).toMatch(/signature {4}\x1b\[33msha1WithRSAEncryption \(weak\)/);
    expect(sha1.stdout).toMatch(/NOT verified/);
  });

  it('a TLS 1.0-only server: the handshake fails with its reason (exit 6)', async () => {
    const result = await session({ ...tlsOf(testPki().leaf), minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, ca());
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^.*mailprobe: TLS handshake failed: no TLS version in common/m);
  });
});

describe('terminal injection through certificate fields', () => {
  it('escape sequences and bidi overrides in the subject and SAN are shown escaped', async () => {
    const result = await session(tlsOf(hostileCertificate()), ['-noservername']);
    const text = result.stdoutBytes.toString('latin1');
    // Only mailprobe's own colour sequences (ESC [ ... m) reach the terminal.
    expect([...text.matchAll(/\x1b(.)/g)].every((m) => m[1] === '[')).toBe(true);
    expect(text).not.toMatch(/\x1b\[2J/);
    expect(result.stdoutBytes.includes(0x07)).toBe(false);
    expect(result.stdoutBytes.includes(Buffer.from('\u202e'))).toBe(false);
    const plain = result.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/subject {6}CN=evil\\1B\]0\\;pwned\\07\\u\{202e\}txt/);
    expect(plain).toMatch(/names \(SAN\) {2}DNS:"bad\\u001b\[2Jname\.test"/);
  });
});
