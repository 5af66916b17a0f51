// -status and check's staple verdict against servers stapling real responses from openssl's
// own OCSP responder: good, revoked (with its reason), unknown, stale, signed by a key the
// issuer never authorised, a broken signature, and none; s_client -status is the reference
// for what the response says.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingPackages, type ServerAvailability } from '../support/packages.js';
import { freePort } from '../support/realServers.js';
import { withRealServers } from '../support/realSuite.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { corruptSignature, fetchOcspResponse, makeOcspPki, startOcspResponder, startStaplingServer, staleOcspResponse, unauthorizedOcspResponse, type OcspPki, type OcspResponder, type StaplingServer } from '../support/ocsp.js';
import { endInput } from '../support/childInput.js';

const missing = missingPackages([['/usr/bin/openssl', 'openssl']]);
const availability: ServerAvailability = missing.length ? { ok: false, reason: `missing packages: ${missing.join(' ')}` } : { ok: true };

type Kind = 'good' | 'revoked' | 'unknown' | 'stale' | 'unauthorized' | 'badSignature' | 'none';

function sClientStatus(port: number, ca: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-starttls', 'smtp', '-status', '-CAfile', ca], { timeout: 15_000 }, (_e, stdout, stderr) => resolve(stdout + stderr));
    endInput(child, 'QUIT\r\n');
  });
}

withRealServers('-status and stapled OCSP responses', availability, () => {
  let pki: OcspPki;
  let responder: OcspResponder;
  const servers = {} as Record<Kind, StaplingServer>;
  beforeAll(async () => {
    const port = await freePort();
    pki = await makeOcspPki(undefined, { ocspUrl: `http://127.0.0.1:${port}/` });
    responder = await startOcspResponder(pki, { port });
    const good = await fetchOcspResponse(responder.url, pki.good.certPem, pki.ca.certPem);
    const staples: Record<Kind, [typeof pki.good, Buffer | undefined]> = {
      good: [pki.good, good],
      revoked: [pki.revoked, await fetchOcspResponse(responder.url, pki.revoked.certPem, pki.ca.certPem)],
      unknown: [pki.unknown, await fetchOcspResponse(responder.url, pki.unknown.certPem, pki.ca.certPem)],
      stale: [pki.good, await staleOcspResponse(pki)],
      unauthorized: [pki.good, await unauthorizedOcspResponse(pki)],
      badSignature: [pki.good, corruptSignature(good)],
      none: [pki.good, undefined],
    };
    for (const [kind, [leaf, staple]] of Object.entries(staples) as [Kind, [typeof pki.good, Buffer | undefined]][]) {
      servers[kind] = await startStaplingServer({ mode: 'starttls', cert: leaf, staple });
    }
  });
  afterAll(async () => {
    for (const server of Object.values(servers)) await server?.close();
    await responder?.stop();
  });

  const session = (kind: Kind, extra: string[] = []) =>
    runMailprobe(['-connect', `127.0.0.1:${servers[kind].port}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert, '-status', ...extra], { input: '' });

  describe('-status', () => {
    it('good: the status, the delegated responder\'s verified signature and the times, as s_client reads them', async () => {
      const result = await session('good');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^OCSP stapling a response was stapled\n {2}cert status {2}good\n {2}signature {4}verified: signed by CN=mailprobe OCSP Responder, delegated by the issuer\n {2}responder {4}CN=mailprobe OCSP Responder\n {2}produced at  \d{4}-\d\d-\d\d \d\d:\d\d UTC\n {2}this update  .+\n {2}next update  \d{4}-.+ UTC$/m);
      expect(await sClientStatus(servers.good.port, pki.ca.cert)).toMatch(/Cert Status: good/);
    });

    it('revoked with its reason; unknown; no staple', async () => {
      const revoked = await session('revoked');
      expect(revoked.stdout).toMatch(/^ {2}cert status {2}REVOKED since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(keyCompromise\)$/m);
      expect(await sClientStatus(servers.revoked.port, pki.ca.cert)).toMatch(/Cert Status: revoked[\s\S]*Revocation Reason: keyCompromise/);
      const unknown = await session('unknown');
      expect(unknown.stdout).toMatch(/^ {2}cert status {2}unknown to the responder$/m);
      expect(await sClientStatus(servers.unknown.port, pki.ca.cert)).toMatch(/Cert Status: unknown/);
      const none = await session('none');
      expect(none.stdout).toMatch(/^OCSP stapling no response stapled$/m);
      expect(await sClientStatus(servers.none.port, pki.ca.cert)).toMatch(/OCSP response: no response sent/);
    });

    it('stale, an unauthorised signer and a broken signature are said plainly (s_client -status checks none of them)', async () => {
      expect((await session('stale')).stdout).toMatch(/^ {2}next update  .+ \(STALE: its nextUpdate \(.+\) has passed\)$/m);
      expect((await session('unauthorized')).stdout).toMatch(/^ {2}signature {4}NOT verified: signed by CN=localhost, which the issuer did not authorise to sign OCSP responses \(no OCSPSigning key purpose\)$/m);
      expect((await session('badSignature')).stdout).toMatch(/^ {2}signature {4}NOT verified: the signature verifies with neither the issuer's key nor a responder certificate in the response$/m);
    });

    it('-attime judges the staple at that moment: a good response is stale a day after its nextUpdate', async () => {
      const later = Math.floor(Date.now() / 1000) + 2 * 86_400;
      const result = await session('good', ['-attime', String(later)]);
      expect(result.stdout).toMatch(/STALE: its nextUpdate/);
    });

    it('-brief: one word for the staple at the end of the line', async () => {
      expect((await session('good', ['-brief'])).stdout).toMatch(/^TLS TLSv1\.3 .*, verified, OCSP good$/m);
      expect((await session('revoked', ['-brief'])).stdout).toMatch(/, OCSP REVOKED$/m);
      expect((await session('stale', ['-brief'])).stdout).toMatch(/, OCSP STALE$/m);
    });

    it('without -status the staple is only noted', async () => {
      const result = await runMailprobe(['-connect', `127.0.0.1:${servers.revoked.port}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert], { input: '' });
      expect(result.stdout).toMatch(/^OCSP stapling a response was stapled$/m);
      expect(result.stdout).not.toMatch(/cert status/);
    });
  });

  it('cert --status shows the staple in the certificate report', async () => {
    const result = await runMailprobe(['cert', `127.0.0.1:${servers.revoked.port}`, '--starttls', 'smtp', '-CAfile', pki.ca.cert, '--status']);
    expect(result.stdout).toMatch(/^ {2}cert status {2}REVOKED since .* \(keyCompromise\)$/m);
  });

  describe('check', () => {
    it.each([
      ['good', 'ok', /a good OCSP response was stapled, signed by CN=mailprobe OCSP Responder, delegated by the issuer/],
      ['revoked', 'fail', /the certificate is REVOKED \(stapled OCSP response: keyCompromise/],
      ['unknown', 'warn', /does not know this certificate/],
      ['stale', 'fail', /stale: its nextUpdate/],
      ['unauthorized', 'fail', /not to be trusted: signed by CN=localhost/],
      ['badSignature', 'fail', /not to be trusted: the signature verifies with neither/],
      ['none', 'info', /no OCSP response stapled/],
    ] as const)('a %s staple: %s', async (kind, verdict, summary) => {
      const result = await runMailprobe(['check', `127.0.0.1:${servers[kind].port}`, '--starttls', 'smtp', '-CAfile', pki.ca.cert, '--no-versions', '--json']);
      const row = JSON.parse(result.stdout).targets[0].checks.find((c: { id: string }) => c.id === 'certificate.ocsp_staple');
      expect(row.verdict).toBe(verdict);
      expect(row.summary).toMatch(summary);
      if (verdict === 'fail') expect(result.code).not.toBe(0);
    });
  });
});
