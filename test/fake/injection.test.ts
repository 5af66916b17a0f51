// STARTTLS response injection (Poddebniak et al. 2021, CVE-2021-22947): any byte after
// the go-ahead and before TLS stops the session with exit 10, shown escaped.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, sleep, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

async function smtpUpTo(client: FakeClient): Promise<void> {
  client.send('220 mx.test ESMTP\r\n');
  await expectLine(client, /^EHLO /);
  client.send('250-mx.test\r\n250 STARTTLS\r\n');
  await expectLine(client, /^STARTTLS$/);
}

async function run(handler: (client: FakeClient) => Promise<void>, proto = 'smtp') {
  const server = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', proto], { input: 'QUIT\n' });
    return { ...result, received: server.received };
  } finally {
    await server.close();
  }
}

describe('STARTTLS response injection', () => {
  it('stops when extra replies share the packet of the go-ahead', async () => {
    const result = await run(async (client) => {
      await smtpUpTo(client);
      client.send('220 go ahead\r\n250-AUTH PLAIN\r\n250 fake\r\n');
      await client.line().catch(() => {});
    });
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
    expect(result.stderr).toContain('bytes received (26): 250-AUTH PLAIN\\r\\n250 fake\\r\\n');
    // The injected lines were never displayed as server lines.
    expect(result.stdout).not.toMatch(/^250 fake/m);
    expect(result.received).toEqual(['EHLO [127.0.0.1]', 'STARTTLS']);
  });

  it('stops when plaintext arrives in a later packet, before the ClientHello is answered', async () => {
    const result = await run(async (client) => {
      await smtpUpTo(client);
      client.send('220 go ahead\r\n');
      await sleep(30);
      client.send('250 injected later\r\n');
      await client.line().catch(() => {});
    });
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/plaintext instead of a TLS handshake/);
    expect(result.stderr).toContain('250 injected later\\r\\n');
    expect(result.stdout).not.toMatch(/^250 injected later/m);
  });

  it('stops on an IMAP untagged CAPABILITY injected with the STARTTLS OK', async () => {
    const result = await run(async (client) => {
      client.send('* OK ready\r\n');
      await expectLine(client, /^a1 CAPABILITY$/);
      client.send('* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\n');
      await expectLine(client, /^a2 STARTTLS$/);
      client.send('a2 OK begin TLS\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n');
      await client.line().catch(() => {});
    }, 'imap');
    expect(result.code).toBe(10);
    expect(result.stderr).toContain('* CAPABILITY IMAP4rev1 AUTH=PLAIN\\r\\n');
  });

  it('stops on NNTP lines injected with the 382 go-ahead', async () => {
    const result = await run(async (client) => {
      client.send('200 news ready\r\n');
      await expectLine(client, /^CAPABILITIES$/);
      client.send('101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n');
      await expectLine(client, /^STARTTLS$/);
      client.send('382 Begin TLS negotiation now\r\n101 Capability list:\r\nAUTHINFO USER\r\n.\r\n');
      await client.line().catch(() => {});
    }, 'nntp');
    expect(result.code).toBe(10);
    expect(result.stderr).toContain('101 Capability list:\\r\\nAUTHINFO USER\\r\\n.\\r\\n');
    expect(result.stdout).not.toMatch(/^AUTHINFO USER/m);
    expect(result.received).toEqual(['CAPABILITIES', 'STARTTLS']);
  });

  it('accepts a clean go-ahead: the control case', async () => {
    const result = await run(async (client) => {
      await smtpUpTo(client);
      client.send('220 go ahead\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^EHLO /);
      client.send('250-mx.test\r\n250 AUTH PLAIN\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('250 AUTH PLAIN');
  });
});
