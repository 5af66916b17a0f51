// In-process proxies for route tests: an HTTP CONNECT proxy and a SOCKS5 proxy on
// 127.0.0.1 port 0 that tunnel to the target asked for (or answer with bytes a test
// chooses), recording what the client sent. `greetingWithAnswer` holds the proxy's answer
// until the target's first bytes arrive and sends both in one write, which is where a
// client that reads the answer carelessly loses the server's greeting.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FakeProxy {
  port: number;
  /** The bytes of each client's request (HTTP head, or SOCKS5 messages in order). */
  requests: Buffer[];
  close(): Promise<void>;
}

export interface HttpProxyOptions {
  /** Answer with these bytes instead of tunnelling (nothing more is sent). */
  answer?: string | Buffer;
  /** Never answer. */
  silent?: boolean;
  greetingWithAnswer?: boolean;
}

function listen(server: Server, sockets: Set<Socket>): Promise<number> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
}

/** Pipes client and target both ways, the proxy's answer first (with the target's first bytes, if asked). */
function tunnel(client: Socket, host: string, port: number, answer: Buffer, greetingWithAnswer: boolean, sockets: Set<Socket>): void {
  const target = connect({ host, port });
  sockets.add(target);
  target.on('error', () => client.destroy());
  client.on('error', () => target.destroy());
  target.on('close', () => client.end());
  client.on('close', () => target.destroy());
  if (!greetingWithAnswer) {
    client.write(answer);
    target.pipe(client);
  } else target.once('data', (first: Buffer) => {
    client.write(Buffer.concat([answer, first]));
    target.pipe(client);
  });
  client.pipe(target);
}

export async function fakeHttpProxy(options: HttpProxyOptions = {}): Promise<FakeProxy> {
  const requests: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.removeListener('data', onData);
      client.pause();
      requests.push(head.subarray(0, end + 4));
      if (options.silent) return;
      if (options.answer !== undefined) return void client.write(options.answer);
      const match = /^CONNECT (?:\[([^\]]+)\]|([^:\s]+)):(\d+) /.exec(head.toString('latin1'));
      if (!match) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      tunnel(client, match[1] ?? match[2], Number(match[3]), Buffer.from('HTTP/1.1 200 Connection established\r\nVia: fake\r\n\r\n'), !!options.greetingWithAnswer, sockets);
      client.resume();
    };
    client.on('data', onData);
  });
  const port = await listen(server, sockets);
  return { port, requests, close: closer(server, sockets) };
}

export interface SocksProxyOptions {
  /** Require this login (RFC 1929). */
  login?: { user: string; password: string };
  /** Answer CONNECT with this reply code instead of tunnelling. */
  replyCode?: number;
  greetingWithAnswer?: boolean;
}

/** Reads exactly `n` bytes (or resolves with fewer at the end). */
function reader(socket: Socket): (n: number) => Promise<Buffer> {
  let buffered = Buffer.alloc(0);
  let want: { n: number; resolve: (b: Buffer) => void } | undefined;
  const check = () => {
    if (want && buffered.length >= want.n) {
      const out = buffered.subarray(0, want.n);
      buffered = buffered.subarray(want.n);
      const { resolve } = want;
      want = undefined;
      resolve(out);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    check();
  });
  return (n) =>
    new Promise((resolve) => {
      want = { n, resolve };
      check();
    });
}

export async function fakeSocksProxy(options: SocksProxyOptions = {}): Promise<FakeProxy> {
  const requests: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (client) => {
    const read = reader(client);
    const hello = await read(2);
    const methods = await read(hello[1]);
    requests.push(Buffer.concat([hello, methods]));
    const wanted = options.login ? 2 : 0;
    if (!methods.includes(wanted)) return void client.end(Buffer.from([5, 0xff]));
    client.write(Buffer.from([5, wanted]));
    if (options.login) {
      const head = await read(2);
      const user = await read(head[1]);
      const plen = await read(1);
      const password = await read(plen[0]);
      requests.push(Buffer.concat([head, user, plen, password]));
      const ok = user.toString() === options.login.user && password.toString() === options.login.password;
      client.write(Buffer.from([1, ok ? 0 : 1]));
      if (!ok) return void client.end();
    }
    const request = await read(4);
    const atyp = request[3];
    const address = atyp === 1 ? await read(4) : atyp === 4 ? await read(16) : await read((await read(1))[0]);
    const port = (await read(2)).readUInt16BE(0);
    requests.push(Buffer.concat([request, atyp === 3 ? Buffer.from([address.length]) : Buffer.alloc(0), address]));
    const reply = (code: number) => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
    if (options.replyCode !== undefined) return void client.end(reply(options.replyCode));
    const host = atyp === 1 ? [...address].join('.') : atyp === 4 ? '::1' : address.toString();
    client.removeAllListeners('data');
    tunnel(client, host, port, reply(0), !!options.greetingWithAnswer, sockets);
  });
  const port = await listen(server, sockets);
  return { port, requests, close: closer(server, sockets) };
}
