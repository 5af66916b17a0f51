// The common mistakes get a diagnosis, not just the library's words.
import { createServer as createTlsServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

describe('diagnoses', () => {
  it('TLS spoken to a plaintext port: names the plaintext protocol to use with -starttls', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx.test ESMTP Postfix\r\n');
      await client.line().catch(() => {});
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-tls']);
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/^mailprobe: this port speaks plaintext, not TLS.*try -starttls smtp/m);
      expect(result.stderr).toContain('220 mx.test ESMTP Postfix\\r\\n');
    } finally {
      await server.close();
    }
  });

  it('plaintext spoken to a TLS port that stays silent: times out and suggests -tls', async () => {
    const server = createTlsServer(tlsOf(testPki().leaf), () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp', '-timeout', '1'], { holdStdin: true });
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/no greeting reply from the server after 1 s.*try -tls/);
    } finally {
      server.close();
    }
  });

  it('plaintext spoken to a TLS port that answers with a TLS record: says to use -tls', async () => {
    const server = await fakeServer(async (client) => {
      client.send(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
      await client.line().catch(() => {});
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'imap'], { holdStdin: true });
      expect(result.code).toBe(6);
      expect(result.stderr).toMatch(/speaks TLS on this port.*try -tls/);
      expect(result.stderr).toContain('\\x15\\x03\\x03\\0\\x02\\x02F');
    } finally {
      await server.close();
    }
  });

  it('a greeting that is slow to come: says mailprobe is waiting and never talks first', async () => {
    let early: string | undefined;
    const server = await fakeServer(async (client) => {
      const first = client.line().then((line) => (early ??= line));
      await new Promise((r) => setTimeout(r, 3300));
      client.send('220 finally\r\n');
      await first;
      client.send('250 ok\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], {
        input: 'NOOP\n',
      });
      expect(result.stdout).toMatch(/-- no greeting yet: mailprobe waits for the server to speak first and never talks first/);
      expect(result.stdout.indexOf('no greeting yet')).toBeLessThan(result.stdout.indexOf('220 finally'));
      expect(early).toBe('NOOP'); // the first line went out only after the greeting
      expect(server.received[0]).toBe('NOOP');
    } finally {
      await server.close();
    }
  });

  it('an EHLO rejected for its name: suggests -name', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO /);
      client.send('501 5.5.2 <[127.0.0.1]>: Helo command rejected: need fully-qualified hostname\r\n');
      await client.line().catch(() => {});
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-starttls', 'smtp']);
      expect(result.code).toBe(11);
      expect(result.stderr).toMatch(/rejected EHLO \(501\); the server may not accept the name "\[127\.0\.0\.1\]": try -name/);
      expect(result.stderr).toContain('server said: 501 5.5.2');
    } finally {
      await server.close();
    }
  });

  it('the server closing the connection unasked: one line and exit 9', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await new Promise((r) => setTimeout(r, 100));
      client.send('421 4.3.2 shutting down\r\n');
      client.end();
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], { holdStdin: true });
      expect(result.code).toBe(9);
      expect(result.stdout).toContain('421 4.3.2 shutting down');
      expect(result.stdout).toMatch(/-- the server closed the connection\n$/);
    } finally {
      await server.close();
    }
  });

  it('a STARTTLS typed by hand in a plaintext session is performed and reported', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO a$/);
      client.send('250-mx\r\n250 STARTTLS\r\n');
      await expectLine(client, /^STARTTLS$/);
      client.send('220 go ahead\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^EHLO b$/);
      client.send('250-mx\r\n250 AUTH PLAIN\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    });
    try {
      const result = await runMailprobe(
        ['-connect', `localhost:${server.port}`, '-plain', '-proto', 'smtp', '-CAfile', testPki().ca.cert],
        { input: 'EHLO a\nSTARTTLS\nEHLO b\nQUIT\n' },
      );
      expect(server.errors).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/220 go ahead\n-- the server said go ahead: starting the TLS handshake\nTLS\n/);
      expect(result.stdout).toMatch(/Verdict verified/);
      expect(result.stdout).toMatch(/no longer counts; ask again with EHLO\n-> EHLO b\n250-mx\n250 AUTH PLAIN/);
    } finally {
      await server.close();
    }
  });
});
