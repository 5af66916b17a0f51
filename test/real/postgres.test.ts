// mailprobe against a real PostgreSQL on a loopback high port, run as a user would run it:
// the SSLRequest upgrade with a verified certificate, the startup answers for -name (trust,
// SCRAM, reject), the clean goodbye (nothing in the server's log), check and cert, and the
// refusal of a server with ssl = off (N, exit 7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { makePostgresCluster, postgresAvailability, type PostgresCluster, type PostgresInstance } from '../support/servers/postgres.js';

const availability = postgresAvailability();

withRealServers('real PostgreSQL', availability, () => {
  const pki = makePki();
  let cluster: PostgresCluster;

  beforeAll(() => {
    cluster = makePostgresCluster(pki);
  }, 60_000);
  afterAll(() => cluster?.remove());

  const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'postgres', '-CAfile', pki.ca.cert, '-verify_return_error', ...more];

  describe('PostgreSQL with ssl = on', () => {
    let server: PostgresInstance;
    beforeAll(async () => {
      server = await cluster.start({ ssl: true });
      console.log(`PostgreSQL set-up: initdb ${cluster.initdbMs} ms, server ready ${server.readyMs} ms after spawn`);
    }, 30_000);
    afterAll(() => server?.stop());

    it('-starttls postgres: SSLRequest, S, TLS verified, the report, exit 0; the clean close leaves nothing in the log', async () => {
      const before = server.log().length;
      const result = await runMailprobe(starttls(server.port));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/=> SSLRequest/);
      expect(result.stdout).toMatch(/^S \(SSLRequest accepted: TLS next\)$/m);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.3/);
      expect(result.stdout).not.toMatch(/StartupMessage|Terminate/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // No "invalid length of startup packet", no "could not receive data" for a client that leaves before its startup.
      const lines = server.log().slice(before).trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/LOG: {2}connection received: host=127\.0\.0\.1/);
    });

    it('-name postgres (trusted): the startup reaches ReadyForQuery, shown; Terminate is the goodbye', async () => {
      const before = server.log().length;
      const result = await runMailprobe(starttls(server.port, '-name', 'postgres'));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/=> StartupMessage protocol 3\.0, user postgres, database postgres/);
      expect(result.stdout).toMatch(/^R AuthenticationOk: no password needed$/m);
      expect(result.stdout).toMatch(/^S ParameterStatus server_version=\d+/m);
      expect(result.stdout).toMatch(/^Z ReadyForQuery \(idle\)$/m);
      expect(result.stdout).toMatch(/=> Terminate/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const log = server.log().slice(before);
      expect(log).toMatch(/connection authorized: user=postgres database=postgres application_name=mailprobe SSL enabled/);
      expect(log).not.toMatch(/unexpected EOF|could not receive data|FATAL|ERROR/);
    });

    it('-name alice: AuthenticationSASL with SCRAM-SHA-256 shown, no password sent, exit 0', async () => {
      const before = server.log().length;
      const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^R AuthenticationSASL: mechanisms SCRAM-SHA-256.* \(mailprobe sends no password\)$/m);
      expect(result.stdout).not.toMatch(/=> Terminate/);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Leaving instead of answering the SASL request is clean too: no failed authentication logged.
      expect(server.log().slice(before)).not.toMatch(/FATAL|ERROR|unexpected EOF|could not receive data|authentication failed/);
    });

    it('-name refused: the ErrorResponse shown with severity, SQLSTATE and message', async () => {
      const result = await runMailprobe(starttls(server.port, '-name', 'refused'));
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^E ErrorResponse FATAL 28000: pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "refused", database "refused", SSL encryption$/m);
    });

    it('check --starttls postgres: STARTTLS works and the certificate verifies', async () => {
      const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'postgres', '--CAfile', pki.ca.cert, '--json']);
      expect(result.stderr).toBe('');
      const report = JSON.parse(result.stdout) as { targets: Array<{ checks: Array<{ id: string; verdict: string }> }> };
      const checks = Object.fromEntries(report.targets[0].checks.map((c) => [c.id, c.verdict]));
      expect(checks['tls.starttls']).toBe('ok');
      expect(checks['certificate.chain']).toBe('ok');
    });

    it('-tls -proto postgres: PostgreSQL before 17 takes no direct TLS and hangs up; exit 6', async () => {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'postgres', '-CAfile', pki.ca.cert]);
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/closed the connection during the TLS handshake/);
    });

    it('cert --starttls postgres --pem: the leaf', async () => {
      const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'postgres', '--pem']);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(pki.leaf.certPem.trim());
    });
  });

  describe('PostgreSQL with ssl = off', () => {
    let server: PostgresInstance;
    beforeAll(async () => {
      server = await cluster.start({ ssl: false });
    }, 30_000);
    afterAll(() => server?.stop());

    it('N: the server does not offer TLS, exit 7', async () => {
      const result = await runMailprobe(starttls(server.port));
      expect(result.code).toBe(7);
      expect(result.stdout).toMatch(/^N \(SSLRequest refused: the server offers no TLS\)$/m);
      expect(result.stderr).toMatch(/does not offer TLS: it answered the SSLRequest with N/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
  });
});
