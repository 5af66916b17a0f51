// Real proxies on loopback high ports, spoken to by raw clients written here: Squid as an
// HTTP CONNECT proxy (basic auth and anonymous) and Dante as a SOCKS5 proxy (RFC 1929
// username/password and no auth), each tunnelling to an in-process "220" echo server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { idsOf } from '../support/servers/daemon.js';
import { withRealServers } from '../support/realSuite.js';
import { squidAvailability, startSquid, type SquidInstance } from '../support/servers/squid.js';
import { danteAvailability, startDante, type DanteInstance } from '../support/servers/dante.js';

const TEST_MS = 15_000;
const WAIT_MS = 5_000;
const GREETING = '220 target.test ESMTP ready\r\n';

/** Reads a socket by bytes or up to a separator, every wait bounded. */
class Wire {
  private buf = Buffer.alloc(0);
  private closed = false;
  private wake?: () => void;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1'): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no connection to ${host}:${port} within ${WAIT_MS} ms`))), WAIT_MS);
      socket.once('connect', () => (clearTimeout(timer), resolve(new Wire(socket))));
      socket.once('error', (err) => (clearTimeout(timer), reject(err)));
    });
  }

  write(data: string | Buffer | number[]): void {
    this.socket.write(Array.isArray(data) ? Buffer.from(data) : data);
  }

  /** The next `n` bytes. */
  bytes(n: number): Promise<Buffer> {
    return this.take((b) => (b.length >= n ? n : undefined), `${n} bytes`);
  }

  /** Everything up to and including `sep`. */
  async through(sep: string): Promise<string> {
    const out = await this.take((b) => {
      const i = b.indexOf(sep, 0, 'latin1');
      return i < 0 ? undefined : i + sep.length;
    }, JSON.stringify(sep));
    return out.toString('latin1');
  }

  /** True once the peer has closed (within the bound), false if it has not. */
  async closes(): Promise<boolean> {
    await this.take(() => (this.closed ? 0 : undefined), 'close').catch(() => undefined);
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private async take(length: (b: Buffer) => number | undefined, what: string): Promise<Buffer> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const n = length(this.buf);
      if (n !== undefined) {
        const out = this.buf.subarray(0, n);
        this.buf = this.buf.subarray(n);
        return out;
      }
      const got = JSON.stringify(this.buf.toString('latin1'));
      if (this.closed) throw new Error(`closed before ${what}; got ${got}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${WAIT_MS} ms; got ${got}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => (clearTimeout(timer), resolve());
      });
      this.wake = undefined;
    }
  }
}

/** The target: greets with GREETING, then echoes what it is sent. */
function startTarget(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.write(GREETING);
      socket.pipe(socket);
    });
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

const closeServer = (server?: Server): Promise<void> => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));

/** The greeting arrives through the tunnel, and a line sent comes back. */
async function tunnelWorks(wire: Wire): Promise<void> {
  expect(await wire.through('\r\n')).toBe(GREETING);
  wire.write('EHLO through.proxy\r\n');
  expect(await wire.through('\r\n')).toBe('EHLO through.proxy\r\n');
}

interface Credentials {
  user: string;
  password: string;
}

/** Sends CONNECT; the status and head of the answer, and the connection for the tunnel. */
async function httpConnect(proxyPort: number, target: string, auth?: Credentials): Promise<{ status: number; head: string; wire: Wire }> {
  const wire = await Wire.open(proxyPort);
  const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (auth) lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`);
  wire.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await wire.through('\r\n\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(head)?.[1] ?? NaN);
  return { status, head, wire };
}

type Destination = { atyp: 1; ip: string; port: number } | { atyp: 3; name: string; port: number };

interface SocksResult {
  wire: Wire;
  /** The method the server chose (0xff: none acceptable). */
  method: number;
  /** RFC 1929 sub-negotiation status, when method 2 was chosen. */
  authStatus?: number;
  /** The CONNECT reply code (0: succeeded), when it got that far. */
  reply?: number;
}

/** RFC 1928 (and 1929): offers one method, authenticates if asked to, sends CONNECT. */
async function socks5(proxyPort: number, dest: Destination, auth?: Credentials): Promise<SocksResult> {
  const wire = await Wire.open(proxyPort);
  wire.write([5, 1, auth ? 2 : 0]);
  const [version, method] = await wire.bytes(2);
  expect(version).toBe(5);
  const result: SocksResult = { wire, method };
  if (method === 0xff) return result;
  if (method === 2) {
    if (!auth) throw new Error('the server asked for username/password');
    const user = Buffer.from(auth.user);
    const password = Buffer.from(auth.password);
    wire.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]));
    result.authStatus = (await wire.bytes(2))[1];
    if (result.authStatus !== 0) return result;
  }
  const address = dest.atyp === 1 ? Buffer.from(dest.ip.split('.').map(Number)) : Buffer.concat([Buffer.from([dest.name.length]), Buffer.from(dest.name)]);
  wire.write(Buffer.concat([Buffer.from([5, 1, 0, dest.atyp]), address, Buffer.from([dest.port >> 8, dest.port & 0xff])]));
  const [, reply, , atyp] = await wire.bytes(4);
  // The bound address: IPv4, IPv6, or a name with its length first; then the port.
  const addressLength = atyp === 1 ? 4 : atyp === 4 ? 16 : (await wire.bytes(1))[0];
  await wire.bytes(addressLength + 2);
  result.reply = reply;
  return result;
}

withRealServers('real Squid (HTTP CONNECT proxy)', squidAvailability(), () => {
  let withAuth: SquidInstance;
  let open: SquidInstance;
  let target: { server: Server; port: number };
  let target6: { server: Server; port: number } | undefined;

  beforeAll(async () => {
    target = await startTarget('127.0.0.1');
    target6 = await startTarget('::1').catch(() => undefined);
    [withAuth, open] = await Promise.all([startSquid({ auth: true }), startSquid({ auth: false })]);
    console.log(`Squid set-up: ${withAuth.readyMs} ms (basic auth) and ${open.readyMs} ms (anonymous) from spawn to listening, started together`);
  });
  afterAll(async () => {
    await Promise.all([withAuth?.stop(), open?.stop()]);
    await Promise.all([closeServer(target?.server), closeServer(target6?.server)]);
  });

  describe('with basic auth', () => {
    it('CONNECT 127.0.0.1:PORT with the right credentials: 200, then bytes both ways', async () => {
      const { status, head, wire } = await httpConnect(withAuth.port, `127.0.0.1:${target.port}`, withAuth);
      try {
        expect(head).toMatch(/^HTTP\/1\.1 200 /);
        expect(status).toBe(200);
        await tunnelWorks(wire);
      } finally {
        wire.close();
      }
    }, TEST_MS);

    it('CONNECT localhost:PORT (a name from /etc/hosts) gets through too', async () => {
      const { status, wire } = await httpConnect(withAuth.port, `localhost:${target.port}`, withAuth);
      try {
        expect(status).toBe(200);
        await tunnelWorks(wire);
      } finally {
        wire.close();
      }
    }, TEST_MS);

    it('CONNECT [::1]:PORT reaches an IPv6 loopback target', async (ctx) => {
      if (!target6) return ctx.skip('no ::1 on this machine');
      const { status, wire } = await httpConnect(withAuth.port, `[::1]:${target6.port}`, withAuth);
      try {
        expect(status).toBe(200);
        await tunnelWorks(wire);
      } finally {
        wire.close();
      }
    }, TEST_MS);

    it('a wrong password gets 407 with a Basic challenge', async () => {
      const { status, head, wire } = await httpConnect(withAuth.port, `127.0.0.1:${target.port}`, { user: withAuth.user, password: 'not-the-password' });
      wire.close();
      expect(status).toBe(407);
      expect(head).toMatch(/^Proxy-Authenticate: Basic realm="mailprobe-test"\r$/m);
    }, TEST_MS);

    it('no credentials get 407, and the access log has the refusals', async () => {
      const { status, wire } = await httpConnect(withAuth.port, `127.0.0.1:${target.port}`);
      wire.close();
      expect(status).toBe(407);
      const denied = new RegExp(`TCP_DENIED/407 .* CONNECT 127\\.0\\.0\\.1:${target.port} - `);
      const tunnel = new RegExp(`TCP_TUNNEL/200 .* CONNECT 127\\.0\\.0\\.1:${target.port} ${withAuth.user} `);
      expect(await withAuth.accessLogWith(denied)).toMatch(denied);
      expect(await withAuth.accessLogWith(tunnel)).toMatch(tunnel);
    }, TEST_MS);

    it('destinations off the loopback are refused with 403, names without a DNS wait', async () => {
      for (const dest of ['192.0.2.1:25', 'mail.example.invalid:25']) {
        const started = Date.now();
        const { status, wire } = await httpConnect(withAuth.port, dest, withAuth);
        wire.close();
        expect(status, dest).toBe(403);
        expect(Date.now() - started, dest).toBeLessThan(2000);
      }
    }, TEST_MS);
  });

  describe('anonymous', () => {
    it('CONNECT without credentials: 200, then bytes both ways', async () => {
      const { status, wire } = await httpConnect(open.port, `127.0.0.1:${target.port}`);
      try {
        expect(status).toBe(200);
        await tunnelWorks(wire);
      } finally {
        wire.close();
      }
    }, TEST_MS);
  });
});

withRealServers('real Dante (SOCKS5 proxy)', danteAvailability(), () => {
  let withAuth: DanteInstance;
  let open: DanteInstance;
  let target: { server: Server; port: number };

  beforeAll(async () => {
    target = await startTarget('127.0.0.1');
    [withAuth, open] = await Promise.all([startDante({ auth: true }), startDante({ auth: false })]);
    console.log(`Dante set-up: ${withAuth.readyMs} ms (username auth) and ${open.readyMs} ms (no auth) from spawn to a SOCKS5 answer, started together`);
  });
  afterAll(async () => {
    await Promise.all([withAuth?.stop(), open?.stop()]);
    await closeServer(target?.server);
  });

  describe('with username/password (RFC 1929)', () => {
    it('CONNECT to the domain name localhost (ATYP 3): succeeded, then bytes both ways', async () => {
      const r = await socks5(withAuth.port, { atyp: 3, name: 'localhost', port: target.port }, withAuth);
      try {
        expect([r.method, r.authStatus, r.reply]).toEqual([2, 0, 0]);
        await tunnelWorks(r.wire);
      } finally {
        r.wire.close();
      }
    }, TEST_MS);

    it('CONNECT to 127.0.0.1 (ATYP 1): succeeded, then bytes both ways', async () => {
      const r = await socks5(withAuth.port, { atyp: 1, ip: '127.0.0.1', port: target.port }, withAuth);
      try {
        expect([r.method, r.authStatus, r.reply]).toEqual([2, 0, 0]);
        await tunnelWorks(r.wire);
      } finally {
        r.wire.close();
      }
    }, TEST_MS);

    it('a wrong password is refused in the sub-negotiation, and the connection closed', async () => {
      const r = await socks5(withAuth.port, { atyp: 1, ip: '127.0.0.1', port: target.port }, { user: withAuth.user, password: 'not-the-password' });
      try {
        expect(r.method).toBe(2);
        expect(r.authStatus).not.toBe(0);
        expect(r.reply).toBeUndefined();
        expect(await r.wire.closes()).toBe(true);
      } finally {
        r.wire.close();
      }
    }, TEST_MS);

    it('a client offering only "no authentication" gets 0xFF', async () => {
      const r = await socks5(withAuth.port, { atyp: 1, ip: '127.0.0.1', port: target.port });
      r.wire.close();
      expect(r.method).toBe(0xff);
    }, TEST_MS);

    it('a destination off the loopback is refused by the rules (reply 2)', async () => {
      const r = await socks5(withAuth.port, { atyp: 1, ip: '192.0.2.1', port: 25 }, withAuth);
      r.wire.close();
      expect(r.reply).toBe(2);
    }, TEST_MS);
  });

  describe('no authentication', () => {
    it('method 0, CONNECT to 127.0.0.1 (ATYP 1): succeeded, then bytes both ways', async () => {
      const r = await socks5(open.port, { atyp: 1, ip: '127.0.0.1', port: target.port });
      try {
        expect([r.method, r.reply]).toEqual([0, 0]);
        await tunnelWorks(r.wire);
      } finally {
        r.wire.close();
      }
    }, TEST_MS);
  });

  it('stop() ends danted and removes its throw-away user', async () => {
    const extra = await startDante({ auth: true });
    expect(idsOf(extra.user)).toBeDefined();
    await extra.stop();
    expect(idsOf(extra.user)).toBeUndefined();
    await expect(Wire.open(extra.port)).rejects.toThrow(/ECONNREFUSED/);
  }, TEST_MS);
});
