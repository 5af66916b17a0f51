// A busy server's TLS 1.3 ticket comes late, not never: check --resumption and -reconnect
// wait for it as long as any dialogue step may take (-timeout), where a fixed second
// reported "the server gave no session". Here a proxy holds back everything the server says
// after the client's second flight (its Finished) for longer than that second.
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { runMailprobe } from '../support/runMailprobe.js';

/** Longer than the second the first connection used to wait for its ticket. */
const HOLD_MS = 1_500;

let server: Server;
let proxy: TcpServer;
let proxyPort: number;
const resumed: boolean[] = [];

/** Forwards both ways; what the server sends after the client's second chunk waits HOLD_MS. */
function slowAfterHandshake(upstreamPort: number): TcpServer {
  return createTcpServer((client: Socket) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    let clientChunks = 0;
    let holdUntil = 0;
    const queue: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      for (const chunk of queue.splice(0)) client.write(chunk);
    };
    client.on('data', (chunk: Buffer) => {
      if (++clientChunks === 2) holdUntil = Date.now() + HOLD_MS;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      const wait = holdUntil - Date.now();
      if (holdUntil === 0 || (wait <= 0 && queue.length === 0)) return void client.write(chunk);
      queue.push(chunk);
      timer ??= setTimeout(flush, Math.max(0, wait));
    });
    const close = (): void => {
      if (timer) clearTimeout(timer);
      flush();
      client.end();
      upstream.end();
    };
    upstream.on('end', () => setTimeout(close, Math.max(0, holdUntil - Date.now())));
    client.on('end', () => upstream.end());
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
  });
}

beforeAll(async () => {
  server = createServer({ ...tlsOf(testPki().leaf), minVersion: 'TLSv1.3' }, (socket: TLSSocket) => {
    resumed.push(socket.isSessionReused());
    socket.on('error', () => {});
    socket.write('220 slow.test ESMTP\r\n');
    socket.on('data', () => socket.end('221 bye\r\n'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = slowAfterHandshake((server.address() as { port: number }).port);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as { port: number }).port;
});
afterAll(() => {
  proxy?.close();
  server?.close();
});

describe('a TLS 1.3 ticket that comes after a second', () => {
  it('check --resumption waits for it and resumes every session offered', async () => {
    resumed.length = 0;
    const result = await runMailprobe(['check', `localhost:${proxyPort}`, '--tls', '--proto', 'smtp', '-CAfile', testPki().ca.cert, '--no-versions', '--resumption', '--json', '-timeout', '10']);
    const row = JSON.parse(result.stdout).targets[0].checks.find((check: { id: string }) => check.id === 'tls.resumption');
    expect(row).toMatchObject({ verdict: 'ok', details: { sessionGiven: true, resumed: 4, attempts: 4 } });
    expect(resumed.filter(Boolean)).toHaveLength(4);
  }, 30_000);
});
