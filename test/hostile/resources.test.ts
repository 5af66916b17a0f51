// Resource bounds: 500 concurrent sessions through the same main() the CLI runs, against
// a slow fake server; afterwards file descriptors and memory return to the baseline.
import { readdirSync } from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fakeServer, sleep } from '../support/fakeServer.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const openFds = () => readdirSync('/proc/self/fd').length;
const heapMb = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

describe('resource bounds', () => {
  it('500 concurrent sessions against a slow server leave no descriptors or memory behind', async () => {
    const server = await fakeServer(async (client) => {
      await sleep(200 + Math.random() * 300); // a slow greeting
      client.send('220 slow ESMTP\r\n');
      for (;;) {
        const line = await client.line();
        await sleep(50);
        if (/^QUIT/.test(line)) {
          client.send('221 bye\r\n');
          client.end();
          return;
        }
        client.send('250 ok\r\n');
      }
    });
    const sink = () => new Writable({ write: (_c, _e, done) => done() });
    const session = () => {
      const stdin = new PassThrough();
      stdin.end('NOOP\nNOOP\n');
      return main(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-timeout', '20'], {
        stdin,
        stdout: sink(),
        stderr: sink(),
        env: {},
      });
    };
    await Promise.all(Array.from({ length: 5 }, session)); // warm up module caches
    await sleep(100);
    const fdsBefore = openFds();
    const heapBefore = heapMb();

    const codes = await Promise.all(Array.from({ length: 500 }, session));
    expect(codes.every((code) => code === 0)).toBe(true);
    expect(server.received.filter((l) => l === 'QUIT').length).toBe(505);

    await sleep(300);
    const fdsAfter = openFds();
    const heapAfter = heapMb();
    await server.close();
    console.log(`500 sessions: fds ${fdsBefore} -> ${fdsAfter}, heap ${heapBefore.toFixed(1)} MB -> ${heapAfter.toFixed(1)} MB`);
    // Every socket is closed: descriptors are back to where they were (give or take a few
    // that the test runner itself opens).
    expect(fdsAfter - fdsBefore).toBeLessThanOrEqual(5);
    expect(heapAfter - heapBefore).toBeLessThan(15);
  }, 60_000);
});
