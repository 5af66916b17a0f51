// dialOptions: what every TCP connection is made with, frozen (Node's Socket copies its
// options, and a copy of unfrozen ones is ~40× dearer on Node 20), and still what net.connect
// takes: a Node that wrote into its options would throw on these.
import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { dialOptions } from '../../src/transport/connect.js';

function greeter(): Promise<{ port: number; close(): void }> {
  const server = createServer((socket) => socket.end('220 ready\r\n'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() })));
}

describe('dialOptions', () => {
  it('are frozen, and carry the onread they are given', () => {
    const onread = { buffer: Buffer.alloc(16), callback: () => true };
    const options = dialOptions({ host: '127.0.0.1', port: 25 }, onread);
    expect(Object.isFrozen(options)).toBe(true);
    expect(options.onread).toBe(onread);
    expect(options.noDelay).toBe(true);
  });

  it('connect, bound or not, by name or address, and read through onread', async () => {
    const server = await greeter();
    try {
      for (const target of [{ host: '127.0.0.1' }, { host: 'localhost', family: 4 as const }, { host: '127.0.0.1', bind: { address: '127.0.0.1' } }]) {
        const buffer = Buffer.alloc(64);
        let read = '';
        const socket = connect(dialOptions({ ...target, port: server.port }, { buffer, callback: (length: number) => void (read += buffer.toString('latin1', 0, length)) }));
        await new Promise<void>((resolve, reject) => {
          socket.on('error', reject);
          socket.on('close', () => resolve());
        });
        expect(read).toBe('220 ready\r\n');
      }
    } finally {
      server.close();
    }
  });

  it('refuses a family that the address is not', () => {
    expect(() => dialOptions({ host: '::1', port: 25, family: 4 })).toThrow(/-4 was given but ::1 is an IPv6 address/);
  });
});
