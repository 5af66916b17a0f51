// mailprobe against a real OpenLDAP slapd on loopback high ports, as a user would run it:
// StartTLS with the certificate verdict and the RootDSE read, ldaps://, and a refusal by
// an instance with no TLS certificate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki, type Pki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { slapdAvailability, startSlapd, type SlapdInstance } from '../support/servers/slapd.js';

const availability = slapdAvailability();

withRealServers('real OpenLDAP slapd', availability, () => {
  let pki: Pki;
  let slapd: SlapdInstance;
  let plainSlapd: SlapdInstance;

  beforeAll(async () => {
    pki = makePki();
    [slapd, plainSlapd] = await Promise.all([startSlapd(pki), startSlapd(pki, { tls: false })]);
    console.log(`slapd set-up: ${slapd.setupMs} ms with TLS (ldap:// and ldaps://), ${plainSlapd.setupMs} ms without (started together)`);
  });
  afterAll(async () => {
    await Promise.all([slapd?.stop(), plainSlapd?.stop()]);
  });

  const rootDse = (stdout: string, startTlsListed = true) => {
    expect(stdout).toMatch(/^searchResEntry #2 dn: "" \(root DSE\)$/m);
    expect(stdout).toMatch(/^ {2}namingContexts: dc=example,dc=org$/m);
    expect(stdout).toMatch(/^ {2}supportedLDAPVersion: 3$/m);
    // slapd lists the StartTLS extension only when it has a certificate.
    if (startTlsListed) expect(stdout).toMatch(/^ {2}supportedExtension: 1\.3\.6\.1\.4\.1\.1466\.20037$/m);
    else expect(stdout).not.toMatch(/1\.3\.6\.1\.4\.1\.1466\.20037/);
    expect(stdout).toMatch(/^searchResDone #2 success \(0\)$/m);
  };

  describe('OpenLDAP slapd', () => {
    it('-starttls ldap -verify_return_error: StartTLS, verified certificate, the RootDSE, exit 0', async () => {
      const result = await runMailprobe(['-connect', `localhost:${slapd.port}`, '-starttls', 'ldap', '-CAfile', pki.ca.cert, '-verify_return_error']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      // slapd's StartTLS response carries no responseName.
      expect(result.stdout).toMatch(/^extendedResp #1 success \(0\)$/m);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.3/);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      // The RootDSE is read over TLS, after the report.
      rootDse(result.stdout.slice(result.stdout.indexOf('Verdict')));
      expect(result.stdout).toMatch(/^=> unbindRequest #3$/m);
    });

    it('-tls against ldaps://: the same RootDSE over implicit TLS', async () => {
      const result = await runMailprobe(['-connect', `localhost:${slapd.ldapsPort}`, '-tls', '-proto', 'ldap', '-CAfile', pki.ca.cert, '-verify_return_error', '-brief']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
      rootDse(result.stdout);
    });

    it('without -CAfile the test CA is unknown: exit 8 with -verify_return_error', async () => {
      const result = await runMailprobe(['-connect', `localhost:${slapd.port}`, '-starttls', 'ldap', '-verify_return_error']);
      expect(result.code).toBe(8);
      expect(result.stdout).not.toMatch(/namingContexts/);
    });

    it('check --starttls ldap: STARTTLS and the certificate checks ok', async () => {
      const result = await runMailprobe(['check', `localhost:${slapd.port}`, '--starttls', 'ldap', '--no-versions', '--CAfile', pki.ca.cert]);
      expect(result.stdout).toMatch(/ok +tls\.starttls +STARTTLS works: TLSv1\.3/);
      expect(result.stdout).toMatch(/ok +certificate\.chain/);
      expect(result.code).toBe(0);
    });

    it('no TLS certificate configured: StartTLS refused with protocolError (2), exit 7', async () => {
      const result = await runMailprobe(['-connect', `localhost:${plainSlapd.port}`, '-starttls', 'ldap', '-CAfile', pki.ca.cert]);
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(/^mailprobe: the server refused StartTLS: protocolError \(2\) "unsupported extended operation", so mailprobe stops/m);
      expect(result.stdout).toMatch(/^extendedResp #1 protocolError \(2\): unsupported extended operation$/m);
    });

    it('-plain against the instance without TLS: the RootDSE in cleartext, exit 0', async () => {
      const result = await runMailprobe(['-connect', `127.0.0.1:${plainSlapd.port}`, '-plain', '-proto', 'ldap']);
      expect(result.code).toBe(0);
      rootDse(result.stdout, false);
    });

    it('-starttls against the ldaps:// port: slapd closes on the plaintext request, exit 9 with a -tls hint', async () => {
      const result = await runMailprobe(['-connect', `localhost:${slapd.ldapsPort}`, '-starttls', 'ldap', '-timeout', '5']);
      expect(result.code).toBe(9);
      expect(result.stderr).toMatch(/closed the connection instead of answering StartTLS; .*try -tls/);
    });

    it('-tls against the plaintext ldap:// port: a TLS handshake failure, not a hang', async () => {
      const result = await runMailprobe(['-connect', `localhost:${plainSlapd.port}`, '-tls', '-proto', 'ldap', '-timeout', '5']);
      expect(result.code).toBe(6);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    });
  });
});
