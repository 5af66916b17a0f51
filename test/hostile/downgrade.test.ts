// Hazard: post-TLS downgrade. After TLS the server drops AUTH, tells the client to go back
// to plaintext, or offers STARTTLS again. mailprobe never leaves TLS, never nests it, and
// never sends credentials anywhere else.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

function smtpThenTls(afterTlsEhlo: string, rest: (client: FakeClient) => Promise<void>) {
  return async (client: FakeClient) => {
    client.send('220 mx\r\n');
    await expectLine(client, /^EHLO/);
    client.send('250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n');
    await expectLine(client, /^STARTTLS$/);
    client.send('220 go\r\n');
    await client.upgrade(tlsOf(testPki().leaf));
    await expectLine(client, /^EHLO/);
    client.send(afterTlsEhlo);
    await rest(client);
  };
}

async function run(handler: (client: FakeClient) => Promise<void>, input: string) {
  const server = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert], { input });
    return { ...result, received: server.received, raw: server };
  } finally {
    await server.close();
  }
}

describe('post-TLS downgrade', () => {
  it('capabilities without AUTH after TLS: :auth refuses to guess and sends nothing secret', async () => {
    const result = await run(smtpThenTls('250-mx\r\n250 SIZE 10\r\n', async (client) => void (await client.line().catch(() => {}))), ':auth bob s3cret\n');
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/offers no SASL mechanism mailprobe knows \(offered: none\)/);
    expect(result.received.join('\n')).not.toMatch(/AUTH|s3cret|czNjcmV0/);
  });

  it('a server that says "use plaintext" after TLS is just shown: the session stays in TLS', async () => {
    const result = await run(
      smtpThenTls('250-mx\r\n250-AUTH PLAIN\r\n250 X-USE-PLAINTEXT please drop TLS\r\n', async (client) => {
        await expectLine(client, /^NOOP$/);
        client.send('250 ok over TLS\r\n');
        await expectLine(client, /^QUIT$/);
        client.send('221 bye\r\n');
        client.end();
      }),
      'NOOP\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('250 ok over TLS');
  });

  it('a second STARTTLS inside TLS is never nested', async () => {
    let afterGoAhead = '';
    const result = await run(
      smtpThenTls('250-mx\r\n250 STARTTLS\r\n', async (client) => {
        await expectLine(client, /^STARTTLS$/);
        client.send('220 go ahead again\r\n');
        afterGoAhead = await client.line(); // a nested ClientHello would arrive here as binary
        client.send('250 still the first TLS session\r\n');
        await expectLine(client, /^QUIT$/);
        client.send('221 bye\r\n');
        client.end();
      }),
      'STARTTLS\nNOOP\n',
    );
    expect(result.code).toBe(0);
    expect(afterGoAhead).toBe('NOOP');
    expect(result.stderr).toMatch(/already encrypted: mailprobe will not start TLS inside TLS/);
    expect(result.stdout.match(/^TLS$/gm)).toHaveLength(1); // one TLS report only
  });
});
