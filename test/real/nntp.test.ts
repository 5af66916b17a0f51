// mailprobe -starttls nntp against real INN 2.7 readers (nnrpd) on loopback high ports: the
// RFC 4642 upgrade with a verified certificate and CAPABILITIES asked again over TLS,
// implicit TLS (nnrpd -S), and a reader with no TLS configured (STARTTLS not offered).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki, type Pki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { innAvailability, startInn, type InnInstance } from '../support/servers/inn.js';

const available = innAvailability();

withRealServers('real INN (nnrpd)', available, () => {
  let pki: Pki;
  let inn: InnInstance;

  beforeAll(async () => {
    pki = makePki();
    inn = await startInn(pki);
    console.log(`INN set-up (spawn to ready, three nnrpd readers): ${inn.readyMs} ms`);
  });
  afterAll(async () => {
    await inn?.stop();
  });

  const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'nntp', '-CAfile', pki.ca.cert, '-verify_return_error', ...more];

  describe('INN nnrpd', () => {
    it('STARTTLS: 201 greeting, CAPABILITIES lists STARTTLS, 382, verified certificate, CAPABILITIES again without STARTTLS: exit 0', async () => {
      const result = await runMailprobe(starttls(inn.port), { input: 'LIST\n' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out).toMatch(/^201 news\.mailprobe\.test InterNetNews NNRP server INN 2\.7\.\d+ ready \(no posting\)$/m);
      expect(out).toMatch(/^382 Begin TLS negotiation now$/m);
      expect(out).toMatch(/protocol {5}TLSv1\.3/);
      expect(out).toMatch(/subject {6}CN=localhost/);
      expect(out).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      const [before, after] = [out.slice(0, out.indexOf('Verdict')), out.slice(out.indexOf('Verdict'))];
      expect(before).toMatch(/^STARTTLS$/m);
      expect(before).toMatch(/^AUTHINFO SASL$/m);
      // Over TLS the capabilities are asked for again: STARTTLS gone, AUTHINFO USER now offered.
      expect(after).toMatch(/^=> CAPABILITIES$/m);
      expect(after).toMatch(/^101 Capability list:$/m);
      expect(after).not.toMatch(/^STARTTLS$/m);
      expect(after).toMatch(/^AUTHINFO USER SASL$/m);
      expect(after).toMatch(/^215 /m);
      expect(after).toMatch(/^205 Bye!$/m);
    });

    it('a reader with no certificate: INN still lists STARTTLS but answers it 580 — exit 7 with one clear line, nothing typed is sent', async () => {
      const result = await runMailprobe(starttls(inn.noCertPort), { input: 'LIST\n' });
      expect(result.code).toBe(7);
      expect(result.stdout).toMatch(/^STARTTLS$/m);
      expect(result.stdout).toMatch(/^=> STARTTLS$/m);
      expect(result.stdout).toMatch(/^580 Error initializing TLS$/m);
      expect(result.stdout).not.toMatch(/^-> LIST$/m);
      const [first, ...rest] = result.stderr.trimEnd().split('\n');
      expect(first).toBe(
        'mailprobe: the server refused STARTTLS (580), so mailprobe stops; 580 means the server could not start TLS (often a missing or unreadable certificate)',
      );
      expect(rest).toEqual(['   server said: 580 Error initializing TLS']);
    });

    it('implicit TLS (nnrpd -S) with -tls: verified before the greeting', async () => {
      const result = await runMailprobe(['-connect', `localhost:${inn.tlsPort}`, '-tls', '-proto', 'nntp', '-CAfile', pki.ca.cert, '-verify_return_error', '-brief'], {
        input: 'CAPABILITIES\n',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
      expect(result.stdout.search(/^TLS /m)).toBeLessThan(result.stdout.search(/^201 /m));
      expect(result.stdout).toMatch(/^AUTHINFO USER SASL$/m);
      expect(result.stdout).not.toMatch(/^STARTTLS$/m);
    });

    it('no -proto on a port no table knows: the 201 greeting names NNTP', async () => {
      const result = await runMailprobe(['-connect', `127.0.0.1:${inn.noCertPort}`, '-plain', '-brief'], { input: 'CAPABILITIES\n' });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/the greeting is NNTP's/);
      expect(result.stdout).toMatch(/^205 Bye!$/m);
    });

    it('check --starttls nntp: TLS and certificate checks pass; SASL before TLS is a warning (exit 1), PLAIN only after', async () => {
      const result = await runMailprobe(['check', `localhost:${inn.port}`, '--starttls', 'nntp', '--no-versions', '--CAfile', pki.ca.cert]);
      expect(result.stdout).toMatch(/ok +tls\.starttls/);
      expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
      expect(result.stdout).toMatch(/ok +certificate\.hostname/);
      expect(result.stdout).not.toMatch(/fail /);
      // INN lists challenge-response SASL mechanisms before TLS, PLAIN and LOGIN only over TLS.
      const warning = result.stdout.match(/^ *warn +capabilities\.auth_before_tls +AUTH offered before TLS \((.*)\)$/m);
      expect(warning?.[1]).toMatch(/CRAM-MD5/);
      expect(warning?.[1]).not.toMatch(/\bPLAIN\b|\bLOGIN\b/);
      expect(result.stdout).toMatch(/^ *info +capabilities\.list .*AUTH .*\bPLAIN LOGIN\b/m);
      expect(result.code).toBe(1);
    });

    it('cert --starttls nntp: the chain verifies', async () => {
      const result = await runMailprobe(['cert', `localhost:${inn.port}`, '--starttls', 'nntp', '--CAfile', pki.ca.cert]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/verified/i);
    });
  });
});
