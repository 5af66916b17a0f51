// Hazard: timing and faults. No greeting, a trickle of bytes, resets at every stage,
// a close right after the greeting, a half-closed socket: a message naming the stage,
// no hang, no stack trace, and the transcript complete up to the fault.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, sleep, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe, type RunOptions } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

async function run(handler: (client: FakeClient) => Promise<void>, args: string[], options: RunOptions = {}) {
  const server = await fakeServer(handler);
  try {
    const start = Date.now();
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-CAfile', testPki().ca.cert, ...args], options);
    return { ...result, ms: Date.now() - start, received: server.received };
  } finally {
    await server.close();
  }
}

const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
const logFile = () => join(mkdtempSync(join(tmpdir(), 'mp-fault-')), 'session.log');

describe('timing and faults', () => {
  it('no greeting ever: times out naming the greeting', async () => {
    const result = await run(async (client) => void (await client.line().catch(() => {})), ['-starttls', 'smtp', '-timeout', '1']);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^mailprobe: no greeting reply from the server after 1 s/m);
    // Far below the 30 s default, so -timeout 1 was the bound; the margin is for a loaded CI machine.
    expect(result.ms).toBeLessThan(15_000);
    noStack(result.stderr);
  });

  it('a trickle of one byte at a time does not keep the stage alive forever', async () => {
    const result = await run(
      async (client) => {
        for (const byte of '220 slowly but surely\r\n') {
          client.send(byte);
          await sleep(150);
        }
      },
      ['-starttls', 'smtp', '-timeout', '1'],
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/no greeting reply from the server after 1 s/);
    // A timer reset by every byte would never fire here: the test would run into its own limit.
    expect(result.ms).toBeLessThan(15_000);
  });

  it('a reset during the TLS handshake', async () => {
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        await expectLine(client, /^EHLO/);
        client.send('250-mx\r\n250 STARTTLS\r\n');
        await expectLine(client, /^STARTTLS$/);
        client.send('220 go\r\n');
        await sleep(20); // the ClientHello arrives; answer it with a reset
        client.socket.resetAndDestroy();
      },
      ['-starttls', 'smtp'],
    );
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^mailprobe: the server closed the connection during the TLS handshake/m);
    noStack(result.stderr);
  });

  it('a reset during DATA: one line, exit 9, transcript complete up to the fault', async () => {
    const log = logFile();
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        await expectLine(client, /^DATA$/);
        client.send('354 go\r\n');
        await expectLine(client, /^line 1$/);
        client.socket.resetAndDestroy();
      },
      ['-plain', '-proto', 'smtp', '--log', log],
      { input: 'DATA\nline 1\nline 2\n', holdStdin: true },
    );
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/^mailprobe: the connection to .* was reset by the server$/m);
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/-> DATA\n.*<- 354 go\n/);
    expect(text).toMatch(/\*\* error: the connection to .* was reset by the server\n$/);
    noStack(result.stderr);
  });

  it('a reset during AUTH', async () => {
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        await expectLine(client, /^EHLO/);
        client.send('250-mx\r\n250 STARTTLS\r\n');
        await expectLine(client, /^STARTTLS$/);
        client.send('220 go\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
        await expectLine(client, /^EHLO/);
        client.send('250-mx\r\n250 AUTH LOGIN\r\n');
        await expectLine(client, /^AUTH LOGIN$/);
        client.send('334 VXNlcm5hbWU6\r\n');
        await client.line();
        client.socket.resetAndDestroy();
      },
      ['-starttls', 'smtp'],
      { input: ':auth LOGIN bob s3cret\n' },
    );
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/^mailprobe: the (server closed the connection|connection to .* was reset by the server)/m);
    expect(result.received).not.toContain(Buffer.from('s3cret').toString('base64')); // the password never went out
    noStack(result.stderr);
  });

  it('a close right after the greeting', async () => {
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        client.end();
      },
      ['-starttls', 'smtp'],
    );
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/^mailprobe: the server closed the connection/m);
  });

  it('a half-closed socket: the server stops sending but keeps reading', async () => {
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        client.socket.end(); // FIN: nothing more will come
        await client.line().catch(() => {});
      },
      ['-plain', '-proto', 'smtp'],
      { holdStdin: true },
    );
    expect(result.code).toBe(9);
    expect(result.stdout).toMatch(/^220 mx$/m);
    expect(result.stdout).toMatch(/-- the server closed the connection$/m);
  });
});
