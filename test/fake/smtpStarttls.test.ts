// SMTP STARTTLS against an in-process fake server: the whole dialogue, the report, the
// session after it, and the line endings that reach the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from '../support/certs.js';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});

const tlsOf = (pair: { certPem: string; keyPem: string }) => ({ cert: pair.certPem, key: pair.keyPem });

/** A well-behaved SMTP server: multi-line greeting, EHLO, STARTTLS, then a small session. */
function goodSmtp(cert = () => tlsOf(pki.leaf)) {
  return async (client: FakeClient) => {
    client.send('220-mx.test ESMTP ready\r\n220 second greeting line\r\n');
    await expectLine(client, /^EHLO /);
    client.send('250-mx.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 SIZE 1000\r\n');
    await expectLine(client, /^STARTTLS$/);
    client.send('220 2.0.0 go ahead\r\n');
    await client.upgrade(cert());
    await expectLine(client, /^EHLO /);
    client.send('250-mx.test over TLS\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000\r\n');
    for (;;) {
      const line = await client.line();
      if (/^QUIT$/i.test(line)) {
        client.send('221 2.0.0 bye\r\n');
        client.end();
        return;
      }
      if (/^MAIL FROM/i.test(line)) client.send('250 2.1.0 ok\r\n');
      else if (/^RCPT TO/i.test(line)) client.send('250 2.1.5 ok\r\n');
      else if (/^DATA$/i.test(line)) {
        client.send('354 go on\r\n');
        let lines = 0;
        while ((await client.line()) !== '.') lines++;
        client.send(`250 2.0.0 queued as ABC (${lines} lines)\r\n`);
      } else client.send(`502 5.5.2 unknown: ${line}\r\n`);
    }
  };
}

describe('SMTP STARTTLS', () => {
  it('upgrades, reports a verified certificate, repeats EHLO and runs the piped session', async () => {
    const server = await fakeServer(goodSmtp());
    try {
      const input = 'MAIL FROM:<a@test>\nRCPT TO:<b@test>\nDATA\nSubject: hi\n\nline one\n.\nQUIT\n';
      const result = await runMailprobe(
        ['-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-crlf', '-CAfile', pki.ca.cert, '-name', 'client.test'],
        { input },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out).toContain('220-mx.test ESMTP ready');
      expect(out).toContain('=> EHLO client.test');
      expect(out).toMatch(/protocol\s+TLSv1\.3/);
      expect(out).toMatch(/subject\s+CN=localhost/);
      expect(out).toMatch(/names \(SAN\)\s+DNS:localhost/);
      expect(out).toMatch(/Verdict verified/);
      expect(out).toContain('250-AUTH PLAIN LOGIN');
      expect(out).toContain('250 2.0.0 queued as ABC (3 lines)');
      expect(out).toContain('221 2.0.0 bye');
      // What reached the server, in order, every line CRLF-terminated.
      expect(server.received).toEqual([
        'EHLO client.test',
        'STARTTLS',
        'EHLO client.test',
        'MAIL FROM:<a@test>',
        'RCPT TO:<b@test>',
        'DATA',
        'Subject: hi',
        '',
        'line one',
        '.',
        'QUIT',
      ]);
      expect(server.errors).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('sends QUIT politely at end of input when the user did not', async () => {
    const server = await fakeServer(goodSmtp());
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert], {
        input: '',
      });
      expect(result.code).toBe(0);
      expect(server.received.at(-1)).toBe('QUIT');
      expect(result.stdout).toContain('=> QUIT');
      // The EHLO name is never a made-up example: here, the local address literal.
      expect(server.received[0]).toMatch(/^EHLO (\[127\.0\.0\.1\]|\S+\.\S+)$/);
    } finally {
      await server.close();
    }
  });

  it('keeps the session open at end of input with -ign_eof until the server closes', async () => {
    const server = await fakeServer(async (client) => {
      await goodSmtp()(client).catch(() => {});
    });
    const closer = await fakeServer(async (client) => {
      client.send('220 ready\r\n');
      await expectLine(client, /^EHLO/);
      client.send('250-x\r\n250 STARTTLS\r\n');
      await expectLine(client, /^STARTTLS/);
      client.send('220 go\r\n');
      await client.upgrade(tlsOf(pki.leaf));
      await expectLine(client, /^EHLO/);
      client.send('250 x\r\n');
      await new Promise((r) => setTimeout(r, 300));
      client.send('421 closing now\r\n');
      client.end();
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${closer.port}`, '-starttls', 'smtp', '-ign_eof'], { input: '' });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('421 closing now');
      expect(closer.received).not.toContain('QUIT');
    } finally {
      await server.close();
      await closer.close();
    }
  });

  it('reports an unverified certificate and goes on without -verify_return_error', async () => {
    const server = await fakeServer(goodSmtp(() => tlsOf(pki.selfSigned)));
    try {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'smtp'], { input: 'QUIT\n' });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/NOT verified/);
      expect(result.stdout).toMatch(/self-signed certificate/);
      expect(result.stdout).toContain('221 2.0.0 bye');
    } finally {
      await server.close();
    }
  });

  it('stops with exit 8 on an unverified certificate with -verify_return_error', async () => {
    const server = await fakeServer(goodSmtp(() => tlsOf(pki.wrongHost)));
    try {
      const result = await runMailprobe(
        ['-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert, '-verify_return_error'],
        { input: 'QUIT\n' },
      );
      expect(result.code).toBe(8);
      expect(result.stdout).toMatch(/hostname mismatch: the certificate is not for "localhost"; it holds DNS:mail\.other\.test, DNS:other\.test/);
      expect(result.stderr).toMatch(/^mailprobe: certificate verification failed/m);
      expect(server.received).not.toContain('QUIT');
    } finally {
      await server.close();
    }
  });

  it('waits for each reply before sending the next piped command', async () => {
    let early = false;
    const server = await fakeServer(async (client) => {
      client.send('220 ready\r\n');
      for (;;) {
        const line = await client.line();
        // Answer slowly; a client that pipelines would have sent more by now.
        await new Promise((r) => setTimeout(r, 150));
        if (client.raw.length > server.received.length) early = true;
        if (/^QUIT/.test(line)) {
          client.send('221 bye\r\n');
          client.end();
          return;
        }
        client.send(line.startsWith('EHLO') ? '250-x\r\n250 SIZE 10\r\n' : '250 ok\r\n');
      }
    });
    try {
      const start = Date.now();
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], {
        input: 'EHLO a\nNOOP\nNOOP\nQUIT\n',
      });
      expect(result.code).toBe(0);
      expect(server.received).toEqual(['EHLO a', 'NOOP', 'NOOP', 'QUIT']);
      expect(early).toBe(false);
      expect(Date.now() - start).toBeGreaterThanOrEqual(4 * 150);
    } finally {
      await server.close();
    }
  });
});
