// A loopback server for the demo mailboxes: lines in, replies out, and STARTTLS on the
// same socket. Read-only and small on purpose; it is not a mail server.
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';

export interface LineClient {
  send(text: string): void;
  startTls(): void;
  readonly tls: boolean;
  close(): void;
}

export interface DemoServer {
  port: number;
  close(): Promise<void>;
}

export async function startLineServer(
  greeting: string,
  tls: { certPem: string; keyPem: string },
  onLine: (client: LineClient, line: string) => void,
): Promise<DemoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    let socket: Socket = raw;
    let buffer = '';
    let encrypted = false;
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let lf = buffer.indexOf('\n'); lf >= 0; lf = buffer.indexOf('\n')) {
        const line = buffer.slice(0, lf).replace(/\r$/, '');
        buffer = buffer.slice(lf + 1);
        onLine(client, line);
      }
      if (buffer.length > 8192) client.close();
    };
    const client: LineClient = {
      send: (text) => void (socket.writable && socket.write(text, 'latin1')),
      startTls: () => {
        socket.removeListener('data', onData);
        buffer = '';
        const secure = new TLSSocket(socket, { isServer: true, secureContext: createSecureContext({ cert: tls.certPem, key: tls.keyPem }) });
        secure.on('error', () => secure.destroy());
        secure.on('data', onData);
        socket = secure;
        encrypted = true;
      },
      get tls() {
        return encrypted;
      },
      close: () => socket.end(),
    };
    raw.on('data', onData);
    client.send(greeting);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
