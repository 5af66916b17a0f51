// `mailprobe check` against fake servers that show each good and bad case.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient, type ServerTls } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import type { Pki } from '../support/certs.js';
import { validateCheckJson } from '../support/checkJson.js';

/** An implicit-TLS SMTP server answering EHLO with `ehlo` and QUIT politely. */
async function smtps(tls: ServerTls, ehlo = '250-mx\r\n250 SIZE 100\r\n') {
  return fakeServer(
    async (client: FakeClient) => {
      client.send('220 mx ready\r\n');
      for (;;) {
        const line = await client.line();
        if (/^EHLO/i.test(line)) client.send(ehlo);
        else if (/^QUIT/i.test(line)) {
          client.send('221 bye\r\n');
          client.end();
          return;
        } else client.send('250 ok\r\n');
      }
    },
    { implicitTls: tls },
  );
}

async function check(pick: (pki: Pki) => { certPem: string; keyPem: string }, args: string[] = [], serverTls: Partial<ServerTls> = {}) {
  const server = await smtps({ ...tlsOf(pick(testPki())), ...serverTls });
  try {
    return await runMailprobe(['check', `localhost:${server.port}`, '--tls', '--proto', 'smtp', '--CAfile', testPki().ca.cert, '--no-versions', ...args]);
  } finally {
    await server.close();
  }
}

const row = (verdict: string, id: string, rest: string) => new RegExp(`^ {2}${verdict} +${id.replace(/\./g, '\\.')} +${rest}`, 'm');

describe('certificate checks', () => {
  it('a good certificate: every check ok, exit 0', async () => {
    const result = await check((p) => p.leaf);
    expect(result.stdout).not.toMatch(/^ {2}(warn|fail) /m);
    expect(result.code).toBe(0);
  });

  it.each([
    ['soon expiring (5 days) with the default thresholds: fail (crit 7)', (p: Pki) => p.soonExpiring, [], 'fail', 2],
    ['soon expiring with --crit-days 2: warn (warn 21)', (p: Pki) => p.soonExpiring, ['--crit-days', '2'], 'warn', 1],
    ['soon expiring with --warn-days 3 --crit-days 1: ok', (p: Pki) => p.soonExpiring, ['--warn-days', '3', '--crit-days', '1'], 'ok', 0],
  ] as const)('%s', async (_name, pick, args, verdict, code) => {
    const result = await check(pick, [...args]);
    expect(result.stdout).toMatch(row(verdict, 'certificate.expiry', 'expires in [45] days'));
    expect(result.code).toBe(code);
  });

  it('expired: expiry and chain fail', async () => {
    const result = await check((p) => p.expired);
    expect(result.stdout).toMatch(row('fail', 'certificate.expiry', 'expired \\d+ days ago'));
    expect(result.stdout).toMatch(row('fail', 'certificate.chain', 'expired on'));
    expect(result.code).toBe(2);
  });

  it('wrong host: the hostname check fails and names what the certificate holds', async () => {
    const result = await check((p) => p.wrongHost);
    expect(result.stdout).toMatch(row('fail', 'certificate.hostname', 'hostname mismatch: .*DNS:mail\\.other\\.test'));
    expect(result.stdout).toMatch(row('ok', 'certificate.chain', 'chain verifies'));
  });

  it('RSA 1024 and SHA-1 are weak', async () => {
    const weak = await check((p) => p.weakRsa1024);
    expect(weak.stdout).toMatch(row('fail', 'certificate.key', 'RSA 1024 bits: weaker than RSA 2048'));
    // Node refuses to serve a SHA-1 certificate at its default security level.
    const sha1 = await check((p) => p.sha1, [], { ciphers: 'DEFAULT:@SECLEVEL=0' });
    expect(sha1.stdout).toMatch(row('fail', 'certificate.signature', 'sha1WithRSAEncryption: a broken digest'));
    expect(sha1.code).toBe(2);
  });

  it('a missing intermediate is named', async () => {
    const pki = testPki();
    // The leaf alone, without the intermediate that issued it.
    const leafOnly = { certPem: pki.viaIntermediate.certPem.split(/(?<=-----END CERTIFICATE-----)/)[0], keyPem: pki.viaIntermediate.keyPem };
    const result = await check(() => leafOnly);
    expect(result.stdout).toMatch(row('fail', 'certificate.chain_complete', 'the server did not send the intermediate "CN=mailprobe Test Intermediate CA" that issued "CN=localhost" \\(it is published at http://ca\\.mailprobe\\.test/intermediate\\.crt\\)'));
    const complete = await check((p) => p.viaIntermediate);
    expect(complete.stdout).toMatch(row('ok', 'certificate.chain_complete', 'no missing intermediate'));
    expect(complete.stdout).toMatch(row('ok', 'certificate.chain', 'chain verifies to a trusted root \\(3 certificates\\)'));
  });

  it('a private CA not given with --CAfile is an unknown root, not a missing intermediate', async () => {
    const server = await smtps(tlsOf(testPki().leaf));
    try {
      const result = await runMailprobe(['check', `localhost:${server.port}`, '--tls', '--proto', 'smtp', '--no-versions']);
      expect(result.stdout).toMatch(row('warn', 'certificate.chain_complete', '"CN=mailprobe Test CA" is neither sent nor trusted: an unknown root \\(your private CA\\? give it with --CAfile\\)'));
      expect(result.stdout).toMatch(row('fail', 'certificate.chain', 'unknown issuer: "CN=mailprobe Test CA" \\(which issued "CN=localhost"\\) is not trusted here: if it is your private CA, give it with -CAfile'));
    } finally {
      await server.close();
    }
  });

  it('an expired certificate from a CA not trusted here: every reason is listed', async () => {
    const server = await smtps(tlsOf(testPki().expired));
    try {
      const result = await runMailprobe(['cert', `localhost:${server.port}`, '--tls']);
      expect(result.stdout).toMatch(/NOT verified:\n  - expired on \d{4}-\d\d-\d\d \(\d+ days ago\)\n  - unknown issuer: "CN=mailprobe Test CA"/);
    } finally {
      await server.close();
    }
  });
});

describe('TLS versions', () => {
  it('a TLS 1.0-only server is accepted on TLS 1.0 alone: a warning', async () => {
    const result = await check((p) => p.leaf, [], { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    // The main connection negotiates TLS 1.0 only if the client offers it: by default it does not.
    expect(result.stdout).toMatch(row('fail', 'tls.handshake', 'TLS handshake failed'));
    const probed = await (async () => {
      const server = await smtps({ ...tlsOf(testPki().leaf), minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
      try {
        return await runMailprobe(['check', `localhost:${server.port}`, '--tls', '--proto', 'smtp', '--CAfile', testPki().ca.cert, '--json']);
      } finally {
        await server.close();
      }
    })();
    const doc = JSON.parse(probed.stdout);
    const versions = doc.targets[0].checks.find((c: { id: string }) => c.id === 'tls.versions');
    expect(versions).toMatchObject({ verdict: 'warn', details: { TLSv1: true, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': false } });
    expect(probed.code).toBe(2);
  });
});

describe('capabilities and reachability', () => {
  it('AUTH offered before TLS is a warning', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx\r\n');
      await expectLine(client, /^EHLO/);
      client.send('250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n');
      await expectLine(client, /^STARTTLS$/);
      client.send('220 go\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^EHLO/);
      client.send('250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 PIPELINING\r\n');
      await client.line().catch(() => {});
    });
    try {
      const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'smtp', '--CAfile', testPki().ca.cert, '--no-versions']);
      expect(result.stdout).toMatch(row('warn', 'capabilities.auth_before_tls', 'AUTH offered before TLS \\(PLAIN LOGIN\\)'));
      expect(result.stdout).toMatch(row('info', 'capabilities.list', 'PIPELINING; AUTH PLAIN LOGIN'));
      expect(result.code).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('NNTP with --starttls nntp: greeting, STARTTLS (382), CAPABILITIES again and the certificate all ok', async () => {
    const server = await fakeServer(async (client) => {
      client.send('200 news.example.com InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n');
      await expectLine(client, /^CAPABILITIES$/);
      client.send('101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n');
      await expectLine(client, /^STARTTLS$/);
      client.send('382 Begin TLS negotiation now\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      for (;;) {
        const line = await client.line();
        if (/^CAPABILITIES$/.test(line)) client.send('101 Capability list:\r\nVERSION 2\r\nREADER\r\nAUTHINFO USER\r\nSASL PLAIN\r\n.\r\n');
        else if (/^QUIT$/.test(line)) {
          client.send('205 bye\r\n');
          return client.end();
        } else client.send('500 What?\r\n');
      }
    });
    try {
      const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'nntp', '--CAfile', testPki().ca.cert, '--no-versions']);
      expect(result.stdout).toMatch(row('ok', 'greeting', ''));
      expect(result.stdout).toMatch(row('ok', 'tls.starttls', ''));
      expect(result.stdout).toMatch(row('ok', 'certificate.chain', ''));
      expect(result.stdout).toMatch(row('ok', 'certificate.hostname', ''));
      expect(result.stdout).not.toMatch(/^ {2}fail /m);
      expect(server.received.slice(0, 3)).toEqual(['CAPABILITIES', 'STARTTLS', 'CAPABILITIES']);
      expect(result.code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('STARTTLS missing fails the check (exit 2); an unreachable target could not run (exit 3)', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx\r\n');
      await expectLine(client, /^EHLO/);
      client.send('250-mx\r\n250 SIZE 10\r\n');
      await client.line().catch(() => {});
    });
    try {
      const result = await runMailprobe(['check', `127.0.0.1:${server.port}`, '127.0.0.1:1', '--starttls', 'smtp', '--no-versions', '--json']);
      const doc = JSON.parse(result.stdout);
      expect(validateCheckJson(doc)).toEqual([]);
      expect(doc.targets[0].checks.find((c: { id: string }) => c.id === 'tls.starttls')).toMatchObject({ verdict: 'fail', details: { code: 'STARTTLS_UNAVAILABLE' } });
      expect(doc.targets[0].exitCode).toBe(2);
      expect(doc.targets[1]).toMatchObject({ verdict: 'error', exitCode: 3, error: expect.stringMatching(/connection refused/) });
      expect(result.code).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('--quiet prints only failures; bad flags are exit 3', async () => {
    const quiet = await check((p) => p.wrongHost, ['--quiet']);
    expect(quiet.stdout.trim().split('\n')).toHaveLength(2);
    expect(quiet.stdout).toMatch(row('fail', 'certificate.hostname', 'hostname mismatch'));
    const bad = await runMailprobe(['check', 'mx:25', '--warn-days', 'soon']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^mailprobe: --warn-days soon is not a whole number/);
    const none = await runMailprobe(['check']);
    expect(none.code).toBe(3);
  });
});
