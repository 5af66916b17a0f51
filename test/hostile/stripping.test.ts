// Hazard: STARTTLS stripping in each protocol, beyond test/fake/failClosed.test.ts:
// capability lists rewritten so STARTTLS hides inside another word, and STARTTLS offered
// only after a pre-TLS AUTH. mailprobe stops (exit 7) and never carries on in cleartext.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

async function run(handler: (client: FakeClient) => Promise<void>, proto: string) {
  const server = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-starttls', proto], { input: 'AUTH PLAIN AGJvYgBzM2NyZXQ=\nQUIT\n' });
    return { ...result, received: server.received };
  } finally {
    await server.close();
  }
}

describe('STARTTLS stripping', () => {
  it.each([
    [
      'smtp: XTARTTLS in EHLO',
      'smtp',
      async (c: FakeClient) => {
        c.send('220 mx\r\n');
        await expectLine(c, /^EHLO/);
        c.send('250-mx\r\n250-XTARTTLS\r\n250 AUTH PLAIN\r\n');
      },
      ['EHLO [127.0.0.1]'],
    ],
    [
      'smtp: STARTTLS offered only after a pre-TLS AUTH',
      'smtp',
      async (c: FakeClient) => {
        c.send('220 mx\r\n');
        await expectLine(c, /^EHLO/);
        c.send('250-mx\r\n250 AUTH PLAIN LOGIN\r\n');
        // A client that authenticated here would be told about STARTTLS afterwards.
      },
      ['EHLO [127.0.0.1]'],
    ],
    [
      'imap: STARTTLS hidden as XSTARTTLS',
      'imap',
      async (c: FakeClient) => {
        c.send('* OK ready\r\n');
        await expectLine(c, /CAPABILITY$/);
        c.send('* CAPABILITY IMAP4rev1 XSTARTTLS AUTH=PLAIN\r\na1 OK\r\n');
      },
      ['a1 CAPABILITY'],
    ],
    [
      'pop3: STLS hidden as XSTLS',
      'pop3',
      async (c: FakeClient) => {
        c.send('+OK ready\r\n');
        await expectLine(c, /^CAPA$/);
        c.send('+OK\r\nXSTLS\r\nUSER\r\n.\r\n');
      },
      ['CAPA'],
    ],
    [
      'sieve: "XSTARTTLS"',
      'sieve',
      async (c: FakeClient) => {
        c.send('"IMPLEMENTATION" "x"\r\n"XSTARTTLS"\r\n"SASL" "PLAIN"\r\nOK\r\n');
      },
      [],
    ],
    [
      'nntp: STARTTLS hidden as XSTARTTLS in CAPABILITIES',
      'nntp',
      async (c: FakeClient) => {
        c.send('200 news ready\r\n');
        await expectLine(c, /^CAPABILITIES$/);
        c.send('101 Capability list:\r\nVERSION 2\r\nXSTARTTLS\r\nSTARTTLSX\r\nAUTHINFO USER\r\n.\r\n');
      },
      ['CAPABILITIES'],
    ],
  ])('%s: stops with exit 7, no cleartext session', async (_name, proto, greet, expected) => {
    const result = await run(async (client) => {
      await greet(client);
      await client.line().catch(() => {});
    }, proto);
    expect(result.code).toBe(7);
    expect(result.received).toEqual(expected);
  });
});
