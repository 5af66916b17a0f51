// noDelayOnListener: on Linux, TCP_NODELAY set once on the listening socket reaches every
// accepted socket, and Node no longer sets it on each. What an accepted socket carries is
// read from the kernel: its descriptor is handed to perl (perl-base, in every Debian), which
// asks getsockopt.
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { noDelayOnListener } from '../../src/transport/listener.js';

const READ_NODELAY = 'use Socket qw(IPPROTO_TCP TCP_NODELAY); open(my $s, "+<&=", 3) or die; print unpack("i", getsockopt($s, IPPROTO_TCP, TCP_NODELAY))';

/** TCP_NODELAY of `socket` as the kernel has it: 1 or 0. */
function kernelNoDelay(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    const perl = spawn('perl', ['-e', READ_NODELAY], { stdio: ['ignore', 'pipe', 'inherit', socket] });
    let out = '';
    perl.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    perl.on('error', reject);
    perl.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`perl exited ${code}`))));
  });
}

/** Listens with `options`, applies `prepare`, accepts one connection: TCP_NODELAY of the accepted socket. */
async function acceptedNoDelay(options: { noDelay?: boolean }, prepare: (server: Server) => void): Promise<number> {
  let accepted!: (socket: Socket) => void;
  const arrived = new Promise<Socket>((resolve) => (accepted = resolve));
  const server = createServer(options, accepted);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  prepare(server);
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    return await kernelNoDelay(await arrived);
  } finally {
    client.destroy();
    server.close();
  }
}

describe.runIf(process.platform === 'linux')('noDelayOnListener (Linux)', () => {
  it('puts TCP_NODELAY on the listener, and each accepted socket has it without Node setting it', async () => {
    let carried = false;
    const value = await acceptedNoDelay({ noDelay: true }, (server) => {
      carried = noDelayOnListener(server);
      expect((server as unknown as { noDelay: boolean }).noDelay).toBe(false);
    });
    expect(carried).toBe(true);
    expect(value).toBe(1);
  });

  it('the check can tell: without it, and without noDelay, an accepted socket has Nagle on', async () => {
    expect(await acceptedNoDelay({}, () => {})).toBe(0);
  });

  it('leaves a server made without noDelay as it is', async () => {
    let carried = true;
    expect(await acceptedNoDelay({}, (server) => (carried = noDelayOnListener(server)))).toBe(0);
    expect(carried).toBe(false);
  });

  it('leaves Node setting each socket when the listener has no handle of its own', async () => {
    const server = createServer({ noDelay: true });
    expect(noDelayOnListener(server)).toBe(false); // not listening: no handle
    expect((server as unknown as { noDelay: boolean }).noDelay).toBe(true);
  });
});
