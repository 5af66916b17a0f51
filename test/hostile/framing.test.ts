// Hazard: broken framing. Endless lines, bare line endings, replies that never end, huge
// capability lists, absurd literals, non-numeric codes. Memory stays bounded — the limits
// are a line piece of 64 KiB (src/protocols/lineSplitter.ts) and 10,000 lines kept per
// reply (src/session/connection.ts) — and the user gets one clear message.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, sleep, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe, type RunOptions } from '../support/runMailprobe.js';

async function run(handler: (client: FakeClient) => Promise<void>, args: string[], options: RunOptions = {}) {
  const server = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, ...args], { measureMemory: true, ...options });
    return { ...result, received: server.received };
  } finally {
    await server.close();
  }
}

/** The peak RSS of a plain session that exchanges a few lines, for comparison. */

describe('framing', () => {
  it('a 10 MB line without CRLF is shown in bounded pieces, memory stays bounded', async () => {
    const result = await run(
      async (client) => {
        const chunk = Buffer.alloc(1024 * 1024, 0x41);
        for (let i = 0; i < 10; i++) client.send(chunk);
        client.send('\r\n');
        await sleep(100);
        client.end();
      },
      ['-plain', '-proto', 'smtp', '-quiet'],
      { holdStdin: true, timeoutMs: 30_000 },
    );
    expect(result.code).toBe(9);
    const lines = result.stdout.split('\n').filter((l) => l.startsWith('AAAA'));
    expect(lines.join('').replace(/[^A]/g, '').length).toBe(10 * 1024 * 1024); // every byte shown, none lost
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(64 * 1024 + 2);
    expect(result.peakRssKb! / 1024).toBeLessThanOrEqual(150);
  });

  it('100,000 EHLO lines: the dialogue takes them without keeping them all, and STARTTLS is still found', async () => {
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        await expectLine(client, /^EHLO/);
        client.send('250-mx\r\n' + '250-X-FILLER-CAPABILITY\r\n'.repeat(100_000) + '250 SIZE 10\r\n');
        await client.line().catch(() => {});
      },
      ['-starttls', 'smtp', '-quiet'],
    );
    // The reply ran past the 10,000 lines mailprobe keeps while it waits: a clear stop.
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/^mailprobe: the server's reply ran past 10000 lines or 1024 KiB without ending, so mailprobe stops$/m);
    expect(result.peakRssKb! / 1024).toBeLessThanOrEqual(150);
  });

  it('a multi-line reply that never ends: the dialogue times out naming the stage', async () => {
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        await expectLine(client, /^EHLO/);
        for (let i = 0; i < 30; i++) {
          client.send(`250-still going ${i}\r\n`);
          await sleep(50);
        }
      },
      ['-starttls', 'smtp', '-timeout', '1'],
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/^mailprobe: no EHLO reply from the server after 1 s/m);
  });

  it('a reply code that is not three digits is shown as malformed and refused in the dialogue', async () => {
    const result = await run(
      async (client) => {
        client.send('22 not a code\r\n');
        await client.line().catch(() => {});
      },
      ['-starttls', 'smtp'],
    );
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/unexpected greeting: expected 220, got a malformed reply/);
    expect(result.stderr).toContain('server said: 22 not a code');
  });

  it('an IMAP literal of {999999999999}: streamed as data, never buffered', async () => {
    const result = await run(
      async (client) => {
        client.send('* OK ready\r\n');
        await expectLine(client, /NOOP$/);
        client.send('* 1 FETCH (BODY[] {999999999999}\r\n');
        const chunk = Buffer.alloc(1024 * 1024, 0x62);
        for (let i = 0; i < 8; i++) client.send(chunk);
        await sleep(100);
        client.end();
      },
      ['-plain', '-proto', 'imap', '-quiet'],
      { input: 'NOOP\n', timeoutMs: 30_000 },
    );
    expect(result.code).toBe(9);
    expect(result.stdout).toContain('* 1 FETCH (BODY[] {999999999999}');
    expect(result.peakRssKb! / 1024).toBeLessThanOrEqual(150);
  });

  it('bare LF and bare CR endings are shown, CR escaped', async () => {
    const result = await run(
      async (client) => {
        client.send('220 one\n220-two\r250 three\r\n');
        await expectLine(client, /^QUIT$/);
        client.end();
      },
      ['-plain', '-proto', 'smtp', '-quiet'],
    );
    expect(result.stdout).toContain('220 one\n220-two\\r250 three\n');
  });
});
