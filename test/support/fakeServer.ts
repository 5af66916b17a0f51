// In-process fake mail servers on 127.0.0.1, port 0: each test scripts only the bytes it
// needs, and can switch the same socket to TLS as a real STARTTLS server does.
import { afterAll } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext, type SecureContextOptions } from 'node:tls';

export interface FakeClient {
  /** Writes bytes exactly as given. */
  send(data: string | Buffer): void;
  /** The next line from the client, without its line ending. Rejects if the client closes. */
  line(): Promise<string>;
  /** Turns the connection into a TLS server connection (after a STARTTLS go-ahead). */
  upgrade(tls: ServerTls): Promise<void>;
  end(): void;
  destroy(): void;
  /** Every line received, in order, with line endings as "\r\n" or "\n". */
  readonly raw: string[];
  readonly socket: Socket;
}

/** Certificate, key and TLS limits for the server side, plus the ALPN protocols it accepts. */
export type ServerTls = SecureContextOptions & { ALPNProtocols?: string[] };

export interface FakeServer {
  port: number;
  /** Every line every client sent, without endings. */
  received: string[];
  /** Errors thrown by a handler (a test fails on them). */
  errors: unknown[];
  close(): Promise<void>;
}

export type Handler = (client: FakeClient) => Promise<void>;

/** `host` and `port`: where to listen (default 127.0.0.1, a free port); a taken port rejects. */
export async function fakeServer(handler: Handler, options: { implicitTls?: ServerTls; host?: string; port?: number } = {}): Promise<FakeServer> {
  const received: string[] = [];
  const errors: unknown[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    let socket: Socket = raw;
    let buffer = '';
    /** Lines no handler has taken yet, as received (endings kept). */
    const unread: string[] = [];
    const rawLines: string[] = [];
    const withoutEnding = (line: string) => line.replace(/\r?\n$/, '');
    let waiting: { resolve(line: string): void; reject(error: Error): void } | undefined;
    let closed = false;
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let lf = buffer.indexOf('\n'); lf >= 0; lf = buffer.indexOf('\n')) {
        const withEnding = buffer.slice(0, lf + 1);
        buffer = buffer.slice(lf + 1);
        rawLines.push(withEnding);
        const line = withoutEnding(withEnding);
        received.push(line);
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w.resolve(line);
        } else unread.push(withEnding);
      }
    };
    const onClose = () => {
      closed = true;
      waiting?.reject(new Error('client closed'));
      waiting = undefined;
    };
    const listen = (s: Socket) => {
      s.on('data', onData);
      s.on('close', onClose);
      s.on('error', () => {});
    };
    const client: FakeClient = {
      send: (data) => {
        if (!socket.destroyed) socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
      },
      line: () =>
        new Promise((resolve, reject) => {
          const next = unread.shift();
          if (next !== undefined) resolve(withoutEnding(next));
          else if (closed) reject(new Error('client closed'));
          else waiting = { resolve, reject };
        }),
      upgrade: (tls) =>
        new Promise((resolve, reject) => {
          socket.removeListener('data', onData);
          socket.removeListener('close', onClose);
          // A ClientHello that came before this handler got here was cut into "lines" (it
          // may hold LF bytes): it goes back to the socket, whose buffered bytes the TLS
          // layer reads when it starts. Anything else unread stays a line, as received.
          const bytes = unread.join('') + buffer;
          if (bytes.startsWith('\x16')) {
            received.splice(received.length - unread.length, unread.length);
            rawLines.splice(rawLines.length - unread.length, unread.length);
            unread.length = 0;
            buffer = '';
            socket.pause();
            socket.unshift(Buffer.from(bytes, 'latin1'));
          }
          const { ALPNProtocols, ...context } = tls;
          const secure = new TLSSocket(socket, { isServer: true, secureContext: createSecureContext(context), ALPNProtocols });
          secure.once('secure', () => resolve());
          secure.once('error', reject);
          socket = secure;
          listen(secure);
        }),
      end: () => socket.end(),
      destroy: () => socket.destroy(),
      raw: rawLines,
      get socket() {
        return socket;
      },
    };
    const start = async () => {
      if (options.implicitTls) {
        await client.upgrade(options.implicitTls);
      } else listen(raw);
      await handler(client);
    };
    start().catch((error: unknown) => {
      if (!(error instanceof Error && /client closed/.test(error.message))) errors.push(error);
      raw.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits for the client's next line and checks it. */
export async function expectLine(client: FakeClient, pattern: RegExp): Promise<string> {
  const line = await client.line();
  if (!pattern.test(line)) throw new Error(`expected ${pattern}, client sent ${JSON.stringify(line)}`);
  return line;
}

/**
 * fakeServer for one test file: every server started through it is closed once the file's
 * tests are done.
 */
export function fakeServersOfFile(): (handler: Handler, options?: Parameters<typeof fakeServer>[1]) => Promise<FakeServer> {
  const servers: FakeServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });
  return async (handler, options) => {
    const server = await fakeServer(handler, options);
    servers.push(server);
    return server;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
