// Hazard: memory bounded in lines but not in bytes. What mailprobe keeps of a reply for its
// own dialogue is capped in bytes (1 MiB), and replies that answer nothing are shown and
// dropped, never queued — so neither an endless reply of 64 KiB lines nor a flood of
// unasked replies while `check` probes TLS versions can grow memory. Peak RSS of any client
// command under hostile input stays at or under 150 MB (measured with GNU time).
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const LIMIT_MB = 150;

/** Resolves when `socket` drains or closes, leaving no listener behind (a flood waits thousands of times). */
function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

/** Writes `total` bytes made of `line` repeated, respecting back-pressure; stops when the client goes. */
async function flood(client: FakeClient, line: Buffer, total: number): Promise<void> {
  const batch = Buffer.concat(Array.from({ length: Math.max(1, Math.floor((1 << 20) / line.length)) }, () => line));
  for (let sent = 0; sent < total && !client.socket.destroyed; sent += batch.length) {
    if (!client.socket.write(batch)) await drainedOrClosed(client.socket);
  }
}

describe('byte bounds', () => {
  it('an endless EHLO reply of 64 KiB lines: the dialogue stops past 1 MiB kept (exit 11), memory bounded', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO /);
      await flood(client, Buffer.from(`250-${'X'.repeat(64 * 1024 - 8)}\r\n`), 400 * 1024 * 1024);
    });
    try {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-quiet'], { input: '', measureMemory: true, timeoutMs: 60_000 });
      expect(result.code).toBe(11);
      expect(result.stderr).toMatch(/reply ran past 10000 lines or 1024 KiB/);
      expect(result.peakRssKb! / 1024).toBeLessThanOrEqual(LIMIT_MB);
    } finally {
      await server.close();
    }
  });

  it('check: replies nobody asked for, flooding in while TLS versions are probed, are not queued', async () => {
    // check opens its four version probes first, then its own connection (the fifth): that
    // one floods unasked replies after its greeting, while the probes are held back 3 s
    // before their handshake, so the flood meets a connection nobody reads from. The target is
    // an address, not "localhost": five name lookups at once finish in any order, and so would
    // the connects.
    let connections = 0;
    let flooded = 0;
    const context = createSecureContext(tlsOf(testPki().leaf));
    const sockets = new Set<Socket>();
    const server = createServer((raw) => {
      sockets.add(raw);
      raw.on('error', () => {});
      const first = connections++ === 4;
      const start = () => {
        const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
        tls.on('error', () => {});
        tls.once('secure', async () => {
          tls.write('220 mx ESMTP\r\n');
          if (!first) return;
          const batch = Buffer.from(`250 ${'Y'.repeat(2000)}\r\n`.repeat(500));
          while (flooded < 300 * 1024 * 1024 && !tls.destroyed) {
            flooded += batch.length;
            if (!tls.write(batch)) await drainedOrClosed(tls);
          }
        });
      };
      if (first) start();
      else setTimeout(start, 3000);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const result = await runMailprobe(['check', `127.0.0.1:${port}`, '--tls', '--proto', 'smtp', '--CAfile', testPki().ca.cert, '-timeout', '10'], { measureMemory: true, timeoutMs: 90_000 });
      expect(flooded).toBeGreaterThan(50 * 1024 * 1024);
      expect(result.stdout).toMatch(/tls\.versions/);
      expect(result.peakRssKb! / 1024).toBeLessThanOrEqual(LIMIT_MB);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
