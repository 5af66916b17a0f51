// mailprobe against a real vsftpd on a loopback high port: AUTH TLS with the certificate
// verified, PBSZ/PROT and FEAT over TLS, a USER/PASS login through :auth over TLS; and a
// second vsftpd without TLS, whose refusal is exit 7.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki, type Pki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { startVsftpd, vsftpdAvailability, type VsftpdInstance } from '../support/servers/vsftpd.js';

const availability = vsftpdAvailability();

withRealServers('real vsftpd', availability, () => {
  let pki: Pki;
  let tls: VsftpdInstance;
  let plain: VsftpdInstance;
  beforeAll(async () => {
    pki = makePki();
    tls = await startVsftpd(pki, { tls: true });
    console.log(`vsftpd set-up: ${tls.readyMs} ms from spawn to its 220 (TLS instance)`);
    plain = await startVsftpd(pki, { tls: false });
  });
  afterAll(async () => {
    await tls?.stop();
    await plain?.stop();
  });

  describe('vsftpd', () => {
    it('AUTH TLS: 234, verified certificate and report, PBSZ/PROT and FEAT over TLS, exit 0', async () => {
      const result = await runMailprobe(['-connect', `localhost:${tls.port}`, '-starttls', 'ftp', '-CAfile', pki.ca.cert, '-verify_return_error', '-timeout', '10'], {
        input: 'NOOP\n',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^220 \(vsFTPd [\d.]+\)$/m);
      expect(result.stdout).toMatch(/^ AUTH TLS$/m);
      expect(result.stdout).toMatch(/^234 /m);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.[23]/);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      const afterTls = result.stdout.slice(result.stdout.indexOf('Verdict'));
      expect(afterTls).toMatch(/^=> PBSZ 0\n200 PBSZ set to 0\.$/m);
      expect(afterTls).toMatch(/^=> PROT P\n200 PROT now Private\.$/m);
      expect(afterTls).toMatch(/^=> FEAT\n211-Features:\n AUTH TLS\n(?: .*\n)*211 End$/m);
      // Before a login vsftpd answers commands with 530: the session speaks to it all the same.
      expect(afterTls).toMatch(/^-> NOOP\n530 Please login with USER and PASS\.$/m);
      expect(afterTls).toMatch(/^221 Goodbye\.$/m);
    });

    it(':auth over TLS logs in with USER/PASS, the password redacted', async () => {
      const result = await runMailprobe(['-connect', `localhost:${tls.port}`, '-starttls', 'ftp', '-CAfile', pki.ca.cert, '-verify_return_error', '-timeout', '10'], {
        input: ':auth anonymous s3cret-pw\nPWD\n',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^=> USER anonymous$/m);
      expect(result.stdout).toMatch(/^=> PASS \[redacted\]$/m);
      expect(result.stdout).toMatch(/^230 Login successful\.$/m);
      expect(result.stdout).toMatch(/authenticated as anonymous with USER\/PASS/);
      expect(result.stdout).toMatch(/^257 "\/"/m);
      expect(result.stdout).not.toContain('s3cret-pw');
    });

    it('check --starttls ftp: TLS and certificate checks ok', async () => {
      const result = await runMailprobe(['check', `localhost:${tls.port}`, '--starttls', 'ftp', '--no-versions', '--CAfile', pki.ca.cert, '--timeout', '10']);
      expect(result.stdout).toMatch(/ok +tls\.starttls/);
      expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
      expect(result.code).toBe(0);
    });

    it('without TLS configured: FEAT does not list AUTH TLS, exit 7 before any AUTH TLS', async () => {
      const result = await runMailprobe(['-connect', `localhost:${plain.port}`, '-starttls', 'ftp', '-CAfile', pki.ca.cert, '-timeout', '10']);
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(/does not offer AUTH TLS in its FEAT reply/);
      expect(result.stdout).toMatch(/^211 End$/m);
      expect(result.stdout).not.toMatch(/=> AUTH TLS/);
    });

    it('without TLS configured, AUTH TLS typed by hand: refused (530), the session goes on in plaintext', async () => {
      const result = await runMailprobe(['-connect', `localhost:${plain.port}`, '-plain', '-proto', 'ftp', '-timeout', '10'], { input: 'AUTH TLS\nNOOP\n' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^-> AUTH TLS\n530 /m);
      expect(result.stdout).toMatch(/^-> NOOP\n530 /m);
      expect(result.stdout).not.toMatch(/TLSv1/);
    });
  });
});
