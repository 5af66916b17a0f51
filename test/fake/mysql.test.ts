// MySQL/MariaDB against fake servers: the handshake packet shown (server version,
// connection id), the SSL request (CLIENT_SSL, sequence 1) and TLS at once, a close
// without authenticating; refusals (no CLIENT_SSL, an ERR greeting), bytes after the
// handshake (in the same packet, and instead of the TLS handshake), a handshake in 1-byte
// chunks, malformed and oversized packets, check and cert.
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../support/byteReader.js';
import { type FakeClient, fakeServersOfFile, sleep } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { classifyPacket, sslRequestPacket } from '../../src/protocols/mysql/packets.js';

const CLIENT_SSL = 0x0800;
const CLIENT_PROTOCOL_41 = 0x0200;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const SERVER_CAPS = 0xf7fe | CLIENT_PLUGIN_AUTH | 0x00100000;

function packet(sequence: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, sequence]), payload]);
}

/** Protocol::HandshakeV10 as MariaDB 10.11 sends it. */
function handshake(options: { ssl?: boolean; version?: string; id?: number; plugin?: string } = {}): Buffer {
  const caps = ((options.ssl ?? true) ? SERVER_CAPS | CLIENT_SSL : SERVER_CAPS & ~CLIENT_SSL) >>> 0;
  const fixed = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10);
  let at = 0;
  at = fixed.writeUInt32LE(options.id ?? 31, at);
  at += fixed.write('abcdefgh', at, 'latin1');
  at = fixed.writeUInt8(0, at);
  at = fixed.writeUInt16LE(caps & 0xffff, at);
  at = fixed.writeUInt8(45, at);
  at = fixed.writeUInt16LE(2, at);
  at = fixed.writeUInt16LE(caps >>> 16, at);
  fixed.writeUInt8(21, at);
  const payload = Buffer.concat([
    Buffer.from([10]),
    Buffer.from(`${options.version ?? '5.5.5-10.11.6-MariaDB-0+deb12u1'}\0`, 'latin1'),
    fixed,
    Buffer.from('ijklmnopqrst\0', 'latin1'),
    Buffer.from(`${options.plugin ?? 'mysql_native_password'}\0`, 'latin1'),
  ]);
  return packet(0, payload);
}

/** ERR_Packet without an SQL state, as sent before the handshake (host not allowed). */
function errPacket(code: number, message: string): Buffer {
  const head = Buffer.alloc(3);
  head[0] = 0xff;
  head.writeUInt16LE(code, 1);
  return packet(0, Buffer.concat([head, Buffer.from(message, 'utf8')]));
}

const startServer = fakeServersOfFile();

/** A fake server whose handler reads the client's bytes through a ByteReader. */
function serve(handler: (client: FakeClient, reader: ByteReader) => Promise<void>) {
  return startServer(async (client) => handler(client, new ByteReader(client.socket)));
}

/** Reads the 36-byte SSL request and checks it; then takes the TLS handshake. */
async function sslRequest(client: FakeClient, reader: ByteReader): Promise<void> {
  const request = await reader.read(36);
  expect(request.readUIntLE(0, 3)).toBe(32);
  expect(request[3]).toBe(1);
  const caps = request.readUInt32LE(4);
  expect(caps & CLIENT_SSL).toBe(CLIENT_SSL);
  expect(caps & CLIENT_PROTOCOL_41).toBe(CLIENT_PROTOCOL_41);
  expect(caps & CLIENT_SECURE_CONNECTION).toBe(CLIENT_SECURE_CONNECTION);
  expect(request.subarray(13)).toEqual(Buffer.alloc(23));
  reader.detach();
  await client.upgrade(tlsOf(testPki().leaf));
  reader.attach(client.socket);
}

const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'mysql', '-CAfile', testPki().ca.cert, '-verify_return_error', '-timeout', '10', ...more];
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .*\d+:\d+/);

describe('MySQL SSL request', () => {
  it('handshake shown (version, connection id), SSL request, TLS, the report; nothing sent over TLS; exit 0', async () => {
    let overTls: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      client.send(handshake({ id: 4711 }));
      await sslRequest(client, reader);
      overTls = reader.untilClosed();
      await overTls;
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^handshake: protocol 10, server 5\.5\.5-10\.11\.6-MariaDB-0\+deb12u1, connection id 4711, TLS offered \(CLIENT_SSL\), auth plugin mysql_native_password$/m);
    expect(result.stdout).toMatch(/^=> SSL request with CLIENT_SSL$/m);
    expect(result.stdout).toMatch(/Verdict verified/);
    // No HandshakeResponse (no credentials), no COM_QUIT: the socket is closed.
    expect(await overTls).toEqual(Buffer.alloc(0));
  });

  it('the SSL request and the ClientHello right behind it, read together by the server: TLS still starts, exit 0', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake());
      // By now the ClientHello has followed the SSL request: one read holds both.
      await sleep(300);
      await sslRequest(client, reader);
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
  });

  it('a handshake without CLIENT_SSL: exit 7, no SSL request sent', async () => {
    let after: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      client.send(handshake({ ssl: false }));
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(/^handshake: .*no TLS \(CLIENT_SSL not set\)/m);
    expect(result.stderr).toMatch(/^mailprobe: the server does not offer TLS \(its handshake does not set CLIENT_SSL\)/);
    noStack(result.stderr);
    expect(await after).toEqual(Buffer.alloc(0));
  });

  it('an ERR packet for a greeting (host not allowed): its code and message shown, exit 9', async () => {
    const server = await serve(async (client) => {
      client.send(errPacket(1130, "Host '10.1.2.3' is not allowed to connect to this MariaDB server"));
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stdout).toMatch(/^ERR 1130: Host '10\.1\.2\.3' is not allowed to connect to this MariaDB server$/m);
    expect(result.stderr).toMatch(/refused the connection in its handshake \(ERR 1130: Host/);
    expect(result.stderr).toMatch(/does not let this host connect/);
    noStack(result.stderr);
  });

  it('an ERR packet with an SQL state: shown with it', async () => {
    const server = await serve(async (client) => {
      client.send(packet(0, Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('#08004Too many connections')])));
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stdout).toMatch(/^ERR 1040 \(08004\): Too many connections$/m);
  });
});

describe('MySQL: bytes after the handshake are injection', () => {
  it.each([
    ['a whole packet', packet(1, Buffer.from([0, 0, 0, 2, 0, 0, 0]))],
    ['part of a packet', Buffer.from([7, 0, 0])],
  ])('%s in the same write as the handshake: exit 10, the SSL request never sent', async (_what, extra) => {
    let after: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      client.send(Buffer.concat([handshake(), extra]));
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/answer no command before SSL request with CLIENT_SSL \(STARTTLS response injection\)/);
    expect(result.stderr).toMatch(/bytes received \(\d+\): \\a\\0\\0/);
    noStack(result.stderr);
    expect(await after).toEqual(Buffer.alloc(0));
  });

  it('a packet instead of the TLS handshake, after the SSL request: exit 10', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake());
      await reader.read(36);
      // The ClientHello comes; a forged OK packet answers it.
      await reader.read(1);
      client.send(packet(2, Buffer.from([0, 0, 0, 2, 0, 0, 0])));
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
    noStack(result.stderr);
  });
});

describe('MySQL framing', () => {
  it('the handshake in 1-byte chunks: the same handshake, exit 0', async () => {
    const server = await serve(async (client, reader) => {
      client.socket.setNoDelay(true);
      for (const byte of handshake({ id: 77 })) {
        client.send(Buffer.from([byte]));
        await sleep(1);
      }
      await sslRequest(client, reader);
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^handshake: protocol 10, server 5\.5\.5-10\.11\.6-MariaDB-0\+deb12u1, connection id 77, TLS offered/m);
  });

  it.each([
    ['an oversized packet (0xffffff)', Buffer.from([0xff, 0xff, 0xff, 0, 10]), /malformed packet header: a packet of 16777215 bytes/],
    ['an empty packet', Buffer.from([0, 0, 0, 0]), /malformed packet header: an empty packet/],
    ['protocol version 9', packet(0, Buffer.from('\x095.0.0\0abcd', 'latin1')), /protocol version 9, not 10/],
    ['a handshake cut short', packet(0, Buffer.from('\x0a8.0.36\0\x01\x00', 'latin1')), /the handshake packet ends too early/],
    ['an SMTP greeting', Buffer.from('220 mx.example.com ESMTP\r\n'), /malformed packet header: a packet of 3158578 bytes/],
  ])('%s: a clear protocol error at once, exit 11', async (_what, bytes, shown) => {
    let after: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      client.send(bytes);
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(11);
    expect(result.stdout).toMatch(shown);
    expect(result.stderr).toMatch(/^mailprobe: the server did not greet with a MySQL handshake packet \(protocol 10\)/);
    noStack(result.stderr);
    expect(await after).toEqual(Buffer.alloc(0));
  });
});

describe('MySQL: check and cert', () => {
  it('check --starttls mysql: tls.starttls ok, certificate verified, exit 0', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake());
      await sslRequest(client, reader);
      await reader.untilClosed();
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'mysql', '--CAfile', testPki().ca.cert, '--no-versions']);
    expect(result.stdout).toMatch(/ok +tls\.starttls +STARTTLS works: TLSv1\.3/);
    expect(result.stdout).toMatch(/ok +certificate\.chain/);
    expect(result.code).toBe(0);
  });

  it('check --starttls mysql without CLIENT_SSL: a failed tls.starttls, exit 2', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake({ ssl: false }));
      await reader.untilClosed();
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'mysql', '--no-versions']);
    expect(result.stdout).toMatch(/fail +tls\.starttls +.*does not offer TLS/);
    expect(result.code).toBe(2);
  });

  it('cert --starttls mysql --pem: the leaf', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake());
      await sslRequest(client, reader);
      await reader.untilClosed();
    });
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'mysql', '--pem']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(testPki().leaf.certPem.trim());
  });

  it('-plain on an unknown port: the handshake names MySQL, shown, exit 0', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake({ ssl: false }));
      await reader.untilClosed();
    });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-timeout', '10']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/MySQL/);
    expect(result.stdout).toMatch(/^handshake: protocol 10, server 5\.5\.5-10\.11\.6-MariaDB/m);
  });
});

describe('MySQL: wrong-port diagnoses', () => {
  it('-tls against a MySQL port: the plaintext handshake is named, with the hint to use -starttls mysql (exit 6)', async () => {
    const server = await serve(async (client, reader) => {
      client.send(handshake());
      await reader.untilClosed();
    });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-timeout', '10']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/this port speaks plaintext, not TLS/);
    expect(result.stderr).toMatch(/try -starttls mysql/);
  });
});

describe('MySQL packets', () => {
  it('a MySQL 8 handshake: version, connection id, CLIENT_SSL and the caching_sha2_password plugin', () => {
    const bytes = handshake({ version: '8.0.36', id: 0x01020304, plugin: 'caching_sha2_password' });
    expect(classifyPacket(bytes.subarray(4))).toEqual({
      kind: 'handshake',
      handshake: { protocolVersion: 10, serverVersion: '8.0.36', connectionId: 0x01020304, capabilities: (SERVER_CAPS | CLIENT_SSL) >>> 0, charset: 45, status: 2, authPlugin: 'caching_sha2_password' },
    });
  });

  it('the SSL request: 32-byte payload, sequence 1, CLIENT_SSL | PROTOCOL_41 | SECURE_CONNECTION, utf8, 23 zero bytes', () => {
    expect(sslRequestPacket().toString('hex')).toBe(`20000001${'008a0000'}${'00000001'}21${'00'.repeat(23)}`);
  });
});
