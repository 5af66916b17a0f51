// The OCSP stapling fixtures (test/support/ocsp.ts) checked with openssl itself: the PKI,
// the HTTP responder, the responses (good, revoked, unknown, stale, unauthorized signer, bad
// signature) and the stapling servers (implicit TLS and SMTP STARTTLS) as `openssl s_client
// -status` sees them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { CertPair } from '../support/certs.js';
import { missingPackages, type ServerAvailability } from '../support/packages.js';
import { freePort } from '../support/realServers.js';
import { withRealServers } from '../support/realSuite.js';
import {
  corruptSignature,
  fetchOcspResponse,
  makeOcspPki,
  startOcspResponder,
  startStaplingServer,
  staleOcspResponse,
  unauthorizedOcspResponse,
  type OcspPki,
  type OcspResponder,
  type StaplingServer,
  type StaplingServerOptions,
} from '../support/ocsp.js';
import { endInput } from '../support/childInput.js';

const missing = missingPackages([['/usr/bin/openssl', 'openssl']]);
const availability: ServerAvailability = missing.length ? { ok: false, reason: `missing packages: ${missing.join(' ')}` } : { ok: true };

/** Runs openssl (at most 15 s) with `input` on stdin; stdout and stderr together. */
function openssl(args: string[], input = ''): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/openssl', args, { timeout: 15_000, env: { ...process.env, OPENSSL_CONF: '/dev/null' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: `${stdout}\n${stderr}` });
    });
    endInput(child, input);
  });
}

/** The dates openssl prints ("Nov 30 17:04:19 2026 GMT") after `label`. */
const datesAfter = (text: string, label: string): number[] =>
  [...text.matchAll(new RegExp(`${label}: (\\w{3} +\\d+ [\\d:]+ \\d{4} GMT)`, 'g'))].map((m) => Date.parse(m[1]!));

type Kind = 'good' | 'revoked' | 'unknown' | 'stale' | 'unauthorized' | 'badSignature';

withRealServers('OCSP stapling fixtures', availability, () => {
  let pki: OcspPki;
  let responder: OcspResponder;
  const der = {} as Record<Kind, Buffer>;
  const file = (kind: Kind): string => join(pki.dir, `${kind}.der`);

  beforeAll(async () => {
    const port = await freePort();
    pki = await makeOcspPki(undefined, { ocspUrl: `http://127.0.0.1:${port}/` });
    responder = await startOcspResponder(pki, { port });
    for (const kind of ['good', 'revoked', 'unknown'] as const) der[kind] = await fetchOcspResponse(responder.url, pki[kind].certPem, pki.ca.certPem);
    der.stale = await staleOcspResponse(pki);
    der.unauthorized = await unauthorizedOcspResponse(pki);
    der.badSignature = corruptSignature(der.good);
    for (const [kind, bytes] of Object.entries(der)) writeFileSync(file(kind as Kind), bytes);
  });
  afterAll(async () => {
    await responder?.stop();
  });

  /** `openssl ocsp -respin` checking one response against the CA, for `leaf`. */
  const verify = (kind: Kind, leaf: CertPair = pki.good) =>
    openssl(['ocsp', '-respin', file(kind), '-CAfile', pki.ca.cert, '-issuer', pki.ca.cert, '-cert', leaf.cert, '-no_nonce']);

  /** A stapling server for `leaf` with the response of `kind` (none: no staple), then `s_client -status` against it. */
  const staple = async (mode: StaplingServerOptions['mode'], leaf: CertPair, kind: Kind | undefined, status = true) => {
    const server: StaplingServer = await startStaplingServer({ mode, cert: leaf, staple: kind && der[kind] });
    try {
      const args = ['s_client', '-connect', `127.0.0.1:${server.port}`, '-CAfile', pki.ca.cert, '-ign_eof', '-crlf'];
      if (status) args.push('-status');
      if (mode === 'starttls') args.push('-starttls', 'smtp');
      const result = await openssl(args, 'EHLO client\nQUIT\n');
      return { ...result, statusRequests: server.statusRequests() };
    } finally {
      await server.close();
    }
  };

  describe('PKI', () => {
    it('responder has OCSPSigning; leaves are for localhost with the AIA OCSP URI; all chain to the CA', async () => {
      const ext = ['x509', '-noout', '-ext', 'subjectAltName,extendedKeyUsage,authorityInfoAccess', '-in'];
      expect((await openssl([...ext, pki.responder.cert])).out).toMatch(/OCSP Signing/);
      for (const leaf of [pki.good, pki.revoked, pki.unknown]) {
        const { out } = await openssl([...ext, leaf.cert]);
        expect(out).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1/);
        expect(out).toContain(`OCSP - URI:${pki.ocspUrl}`);
        const chain = await openssl(['verify', '-CAfile', pki.ca.cert, '-purpose', 'sslserver', leaf.cert]);
        expect(chain.out).toMatch(/: OK/);
      }
    });

    it('index.txt: good valid, revoked with keyCompromise, unknown absent', async () => {
      const index = readFileSync(pki.index, 'utf8');
      const serial = async (leaf: CertPair) => (await openssl(['x509', '-noout', '-serial', '-in', leaf.cert])).out.match(/serial=(\w+)/)![1]!;
      expect(index).toMatch(new RegExp(`^V\\t\\d{12}Z\\t\\t${await serial(pki.good)}\\t`, 'm'));
      expect(index).toMatch(new RegExp(`^R\\t\\d{12}Z\\t\\d{12}Z,keyCompromise\\t${await serial(pki.revoked)}\\t`, 'm'));
      expect(index).not.toContain(await serial(pki.unknown));
    });
  });

  describe('responder', () => {
    it('answered the three fetches; a verified query with a nonce says good', async () => {
      expect(responder.requests()).toBeGreaterThanOrEqual(3);
      const { code, out } = await openssl(['ocsp', '-issuer', pki.ca.cert, '-cert', pki.good.cert, '-url', responder.url, '-CAfile', pki.ca.cert, '-timeout', '10']);
      expect(code).toBe(0);
      expect(out).toMatch(/Response verify OK/);
      expect(out).toMatch(/good\.pem: good/);
    });

    /** One HTTP exchange with the responder (at most 15 s); the response body. */
    const http = (method: 'GET' | 'POST', path: string, body = ''): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const req = request(new URL(path, responder.url), { method, timeout: 15_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks)));
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
        req.on('error', reject);
        req.end(body);
      });

    it('answers GET /<base64 request> too', async () => {
      const reqFile = join(pki.dir, 'get.req');
      await openssl(['ocsp', '-issuer', pki.ca.cert, '-cert', pki.revoked.cert, '-no_nonce', '-reqout', reqFile]);
      writeFileSync(join(pki.dir, 'get.der'), await http('GET', encodeURIComponent(readFileSync(reqFile).toString('base64'))));
      const { out } = await openssl(['ocsp', '-respin', join(pki.dir, 'get.der'), '-CAfile', pki.ca.cert, '-issuer', pki.ca.cert, '-cert', pki.revoked.cert, '-no_nonce']);
      expect(out).toMatch(/Response verify OK/);
      expect(out).toMatch(/revoked\.pem: revoked/);
    });

    it('answers an unreadable request with malformedRequest', async () => {
      const body = await http('POST', '/', 'not an OCSP request');
      expect(body.toString('hex')).toBe('30030a0101');
    });
  });

  describe('responses, checked with openssl ocsp -respin', () => {
    it('good, revoked (keyCompromise) and unknown verify against the CA', async () => {
      const good = await verify('good');
      expect(good.out).toMatch(/Response verify OK/);
      expect(good.out).toMatch(/good\.pem: good/);
      const revoked = await verify('revoked', pki.revoked);
      expect(revoked.out).toMatch(/Response verify OK/);
      expect(revoked.out).toMatch(/revoked\.pem: revoked/);
      expect(revoked.out).toMatch(/Reason: keyCompromise/);
      const unknown = await verify('unknown', pki.unknown);
      expect(unknown.out).toMatch(/Response verify OK/);
      expect(unknown.out).toMatch(/unknown\.pem: unknown/);
    });

    it('stale: signature verifies, nextUpdate (and thisUpdate) in the past, status expired', async () => {
      const text = await openssl(['ocsp', '-respin', file('stale'), '-resp_text', '-noverify']);
      const [next] = datesAfter(text.out, 'Next Update');
      const [produced] = datesAfter(text.out, 'Produced At');
      expect(next).toBeLessThan(Date.now() - 23 * 3600_000);
      expect(produced).toBeLessThan(next!);
      const checked = await verify('stale');
      expect(checked.out).toMatch(/Response verify OK/);
      expect(checked.out).toMatch(/WARNING: Status times invalid/);
      expect(checked.out).toMatch(/status expired/);
    });

    it('unauthorized signer: a CA-issued certificate without OCSPSigning fails', async () => {
      const { out } = await verify('unauthorized');
      expect(out).toMatch(/Response Verify Failure/);
      expect(out).toMatch(/missing ocspsigning usage/);
    });

    it('bad signature fails verification', async () => {
      const { out } = await verify('badSignature');
      expect(out).toMatch(/Response Verify Failure/);
      expect(out).not.toMatch(/Response verify OK/);
    });
  });

  describe.each(['tls', 'starttls'] as const)('stapling server (%s), seen by s_client -status', (mode) => {
    it('good: successful, Cert Status good, chain verified, SMTP after the handshake', async () => {
      const r = await staple(mode, pki.good, 'good');
      expect(r.out).toMatch(/OCSP Response Status: successful/);
      expect(r.out).toMatch(/Cert Status: good/);
      expect(r.out).toMatch(/Verify return code: 0 \(ok\)/);
      expect(r.out).toMatch(/^250-staple\r?\n250 8BITMIME/m);
      expect(r.out).toMatch(/^221 bye/m);
      expect(r.statusRequests).toBe(1);
    });

    it('revoked: Cert Status revoked with the reason', async () => {
      const r = await staple(mode, pki.revoked, 'revoked');
      expect(r.out).toMatch(/Cert Status: revoked/);
      expect(r.out).toMatch(/Revocation Reason: keyCompromise \(0x1\)/);
    });

    it('unknown: Cert Status unknown', async () => {
      const r = await staple(mode, pki.unknown, 'unknown');
      expect(r.out).toMatch(/Cert Status: unknown/);
    });

    it('stale: the stapled Next Update lies in the past', async () => {
      const r = await staple(mode, pki.good, 'stale');
      expect(r.out).toMatch(/Cert Status: good/);
      const next = datesAfter(r.out, 'Next Update');
      expect(next).toHaveLength(1);
      expect(next[0]).toBeLessThan(Date.now());
    });

    it('unauthorized and bad-signature responses are stapled as given', async () => {
      for (const kind of ['unauthorized', 'badSignature'] as const) {
        const r = await staple(mode, pki.good, kind);
        expect(r.out).toMatch(/OCSP Response Status: successful/);
        expect(r.out).toMatch(/Cert Status: good/);
      }
    });

    it('no staple: "OCSP response: no response sent"', async () => {
      const r = await staple(mode, pki.good, undefined);
      expect(r.out).toMatch(/OCSP response: no response sent/);
      expect(r.out).toMatch(/^221 bye/m);
      expect(r.statusRequests).toBe(1);
    });

    it('a client that does not ask gets no staple and raises no OCSPRequest', async () => {
      const r = await staple(mode, pki.good, 'good', false);
      expect(r.out).not.toMatch(/OCSP response/);
      expect(r.out).toMatch(/Verify return code: 0 \(ok\)/);
      expect(r.statusRequests).toBe(0);
    });
  });
});
