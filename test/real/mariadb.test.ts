// mailprobe against a real MariaDB on a loopback high port: the handshake shown (server
// version, connection id), the SSL request and TLS with a verified certificate, a close
// without authenticating, check and cert; and a server run with --skip-ssl (no CLIENT_SSL:
// exit 7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { mariadbAvailability, startMariadb, type MariadbInstance } from '../support/servers/mariadb.js';

const availability = mariadbAvailability();

withRealServers('real MariaDB', availability, () => {
  const pki = makePki();
  let server: MariadbInstance;
  let plain: MariadbInstance;

  beforeAll(async () => {
    [server, plain] = await Promise.all([startMariadb(pki, { ssl: true }), startMariadb(pki, { ssl: false })]);
    console.log(`MariaDB set-up: ready ${server.readyMs} ms after spawn (with TLS), ${plain.readyMs} ms (--skip-ssl); no install-db`);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), plain?.stop()]);
  });

  const starttls = (port: number) => ['-connect', `localhost:${port}`, '-starttls', 'mysql', '-CAfile', pki.ca.cert, '-verify_return_error'];

  describe('MariaDB', () => {
    it('-starttls mysql: handshake shown, SSL request, TLS verified, the report, exit 0', async () => {
      const result = await runMailprobe(starttls(server.port));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^handshake: protocol 10, server [^,]*MariaDB[^,]*, connection id \d+, TLS offered \(CLIENT_SSL\), auth plugin mysql_native_password$/m);
      expect(result.stdout).toMatch(/=> SSL request with CLIENT_SSL/);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.3/);
    });

    it('-plain -proto mysql: the handshake alone, exit 0', async () => {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'mysql']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^handshake: protocol 10, server .*MariaDB/m);
    });

    it('an unknown port with -plain and no -proto: the handshake is recognised as MySQL', async () => {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/MySQL/);
      expect(result.stdout).toMatch(/^handshake: protocol 10, server .*MariaDB/m);
    });

    it('-tls on the MySQL port: the plaintext handshake is named, hint -starttls mysql, exit 6', async () => {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls']);
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/this port speaks plaintext, not TLS[^]*try -starttls mysql/);
    });

    it('check --starttls mysql: STARTTLS works and the certificate verifies', async () => {
      const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'mysql', '--CAfile', pki.ca.cert, '--json']);
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as { targets: Array<{ checks: Array<{ id: string; verdict: string }> }> };
      const checks = Object.fromEntries(report.targets[0].checks.map((c) => [c.id, c.verdict]));
      expect(checks['tls.starttls']).toBe('ok');
      expect(checks['certificate.chain']).toBe('ok');
    });

    it('cert --starttls mysql --pem: the leaf', async () => {
      const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'mysql', '--pem']);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(pki.leaf.certPem.trim());
    });

    it('--skip-ssl: CLIENT_SSL not set, exit 7, no SSL request sent', async () => {
      const result = await runMailprobe(starttls(plain.port));
      expect(result.code).toBe(7);
      expect(result.stdout).toMatch(/^handshake: .*no TLS \(CLIENT_SSL not set\)/m);
      expect(result.stdout).not.toMatch(/SSL request/);
      expect(result.stderr).toMatch(/does not offer TLS \(its handshake does not set CLIENT_SSL\)/);
    });
  });
});
