// PostgreSQL against fake servers: the SSLRequest and its one-byte answer, the startup
// answers shown for -name (and no password ever sent), the goodbye that fits where the
// startup got to; refusals (N, an ErrorResponse from a server older than SSL), bytes after
// the S (in the same packet and instead of the TLS handshake), answers in 1-byte chunks,
// malformed and oversized messages, direct TLS with ALPN "postgresql", check and cert.
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../support/byteReader.js';
import { type FakeClient, fakeServer, fakeServersOfFile, sleep } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { PostgresFramer } from '../../src/protocols/postgres/framer.js';

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const TERMINATE = Buffer.from([0x58, 0, 0, 0, 4]);

/** A typed backend message: type, int32 length (counting itself), body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (...s: string[]) => Buffer.from(s.map((x) => `${x}\0`).join(''), 'utf8');
const authSasl = (...mechanisms: string[]) => message('R', Buffer.concat([int32(10), cstr(...mechanisms), Buffer.from([0])]));
const errorResponse = (fields: Record<string, string>) =>
  message('E', Buffer.concat([...Object.entries(fields).map(([k, v]) => cstr(`${k}${v}`)), Buffer.from([0])]));
const READY = Buffer.concat([
  message('R', int32(0)),
  message('S', cstr('server_version', '17.2')),
  message('K', Buffer.concat([int32(4242), int32(99)])),
  message('Z', Buffer.from('I')),
]);

const startServer = fakeServersOfFile();

/** A fake server whose handler reads the client's bytes through a ByteReader. */
function serve(handler: (client: FakeClient, reader: ByteReader) => Promise<void>, options: Parameters<typeof fakeServer>[1] = {}) {
  return startServer(async (client) => handler(client, new ByteReader(client.socket)), options);
}

/** Reads the SSLRequest, answers `answer`, and (for S) takes the TLS handshake. */
async function sslRequest(client: FakeClient, reader: ByteReader, answer = 'S'): Promise<void> {
  expect(await reader.read(8)).toEqual(SSL_REQUEST);
  client.send(answer);
  if (answer !== 'S') return;
  reader.detach();
  await client.upgrade(tlsOf(testPki().leaf));
  reader.attach(client.socket);
}

/** Reads a StartupMessage (int32 length, then the protocol version and pairs) and returns its pairs. */
async function startup(reader: ByteReader): Promise<Record<string, string>> {
  const length = (await reader.read(4)).readInt32BE(0);
  const rest = await reader.read(length - 4);
  expect(rest.readInt32BE(0)).toBe(196608);
  const words = rest.subarray(4).toString('utf8').split('\0');
  const pairs: Record<string, string> = {};
  for (let i = 0; i + 1 < words.length && words[i] !== ''; i += 2) pairs[words[i]] = words[i + 1];
  return pairs;
}

const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'postgres', '-CAfile', testPki().ca.cert, '-verify_return_error', '-timeout', '10', ...more];
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .*\d+:\d+/);

describe('PostgreSQL SSLRequest', () => {
  it('S, TLS, the report; no -name: nothing sent over TLS and the socket closed (no Terminate before a startup), exit 0', async () => {
    let overTls: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      overTls = reader.untilClosed();
      await overTls;
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^=> SSLRequest$/m);
    expect(result.stdout).toMatch(/^S \(SSLRequest accepted: TLS next\)$/m);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(await overTls).toEqual(Buffer.alloc(0));
  });

  it('-name alice: StartupMessage for alice, AuthenticationSASL shown with its mechanisms, no password sent, socket closed', async () => {
    let pairs: Record<string, string> = {};
    let after: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      pairs = await startup(reader);
      client.send(authSasl('SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'));
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(pairs).toEqual({ user: 'alice', database: 'alice', application_name: 'mailprobe' });
    expect(result.stdout).toMatch(/^=> StartupMessage protocol 3\.0, user alice, database alice$/m);
    expect(result.stdout).toMatch(/^R AuthenticationSASL: mechanisms SCRAM-SHA-256-PLUS, SCRAM-SHA-256 \(mailprobe sends no password\)$/m);
    // No SASLInitialResponse or PasswordMessage ('p'), no Terminate: the server waits for a password.
    expect(await after).toEqual(Buffer.alloc(0));
  });

  it.each([
    [3, 'AuthenticationCleartextPassword: the server asks for the password in cleartext'],
    [5, 'AuthenticationMD5Password: the server asks for an MD5 password hash'],
  ])('-name bob: authentication request %i shown readably', async (code, shown) => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await startup(reader);
      client.send(message('R', code === 5 ? Buffer.concat([int32(5), Buffer.from('salt')]) : int32(code)));
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'bob'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`R ${shown}`);
  });

  it('-name for a trusted user: AuthenticationOk ... ReadyForQuery, then Terminate', async () => {
    let after: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await startup(reader);
      client.send(READY);
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'postgres'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^R AuthenticationOk: no password needed\nS ParameterStatus server_version=17\.2\nK BackendKeyData \(process 4242\)\nZ ReadyForQuery \(idle\)$/m);
    expect(result.stdout).toMatch(/^=> Terminate$/m);
    expect(await after).toEqual(TERMINATE);
  });

  it('-name: an ErrorResponse is shown with severity, SQLSTATE, message and hint; exit 0', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await startup(reader);
      client.send(errorResponse({ S: 'FATAL', V: 'FATAL', C: '28000', M: 'no pg_hba.conf entry for host "127.0.0.1", user "eve"', H: 'ask the \x1b[31madmin' }));
      client.end();
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'eve'));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^E ErrorResponse FATAL 28000: no pg_hba\.conf entry for host "127\.0\.0\.1", user "eve"; hint: ask the \\e\[31madmin$/m);
    // The escape character arrived escaped, never raw.
    expect(result.stdoutBytes.includes(0x1b)).toBe(false);
  });

  it('N: the server does not offer TLS, exit 7, nothing more sent', async () => {
    let after: Promise<Buffer> | undefined;
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader, 'N');
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(/^N \(SSLRequest refused: the server offers no TLS\)$/m);
    expect(result.stderr).toMatch(/^mailprobe: the server does not offer TLS: it answered the SSLRequest with N/);
    expect(result.stderr).toMatch(/ssl = off/);
    noStack(result.stderr);
    expect(await after).toEqual(Buffer.alloc(0));
  });

  it('an ErrorResponse to the SSLRequest (a server older than SSL): its message shown, exit 7', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader, errorResponse({ S: 'FATAL', C: '08P01', M: 'unsupported frontend protocol 1234.5679' }).toString('latin1'));
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(/^E ErrorResponse FATAL 08P01: unsupported frontend protocol 1234\.5679$/m);
    expect(result.stderr).toMatch(/answered the SSLRequest with an error, so it offers no TLS/);
    expect(result.stderr).toMatch(/server said: FATAL 08P01: unsupported frontend protocol/);
  });

  it('an answer that is neither S nor N (an HTTP server): protocol error, exit 11', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader, 'HTTP/1.1 400 Bad Request\r\n\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(11);
    expect(result.stdout).toMatch(/^0x48 \(not an answer to an SSLRequest: S or N\)$/m);
    expect(result.stderr).toMatch(/did not answer the SSLRequest with S or N/);
    noStack(result.stderr);
  });

  it('the server closes without answering: exit 9', async () => {
    const server = await serve(async (client, reader) => {
      await reader.read(8);
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/closed the connection without answering the SSLRequest/);
    noStack(result.stderr);
  });
});

describe('PostgreSQL: bytes after the S are injection', () => {
  it('in the same packet as the S: exit 10, the bytes shown, no TLS handshake', async () => {
    let after: Promise<Buffer> | undefined;
    const forged = message('R', int32(0));
    const server = await serve(async (client, reader) => {
      expect(await reader.read(8)).toEqual(SSL_REQUEST);
      client.send(Buffer.concat([Buffer.from('S'), forged, Buffer.from('E\0\0')]));
      after = reader.untilClosed();
      await after;
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/plaintext after its STARTTLS go-ahead and before TLS began \(STARTTLS response injection\)/);
    expect(result.stderr).toMatch(/bytes received \(12\): R\\0\\0\\0\\b\\0\\0\\0\\0E\\0\\0$/m);
    noStack(result.stderr);
    // No ClientHello, no StartupMessage: mailprobe stopped before TLS.
    expect(await after).toEqual(Buffer.alloc(0));
  });

  it('a moment later, instead of the TLS handshake: exit 10', async () => {
    const server = await serve(async (client, reader) => {
      expect(await reader.read(8)).toEqual(SSL_REQUEST);
      client.send('S');
      // The ClientHello comes; plaintext answers it.
      await reader.read(1);
      client.send(message('R', int32(0)));
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
    expect(result.stdout).not.toMatch(/AuthenticationOk/);
  });
});

describe('PostgreSQL framing', () => {
  it('the startup answer in 1-byte chunks: framed the same, exit 0', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await startup(reader);
      client.socket.setNoDelay(true);
      for (const byte of Buffer.concat([message('N', cstr('SNOTICE', 'Mhello')), authSasl('SCRAM-SHA-256')])) {
        client.send(Buffer.from([byte]));
        await sleep(1);
      }
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^N NoticeResponse NOTICE: hello\nR AuthenticationSASL: mechanisms SCRAM-SHA-256 /m);
  });

  it.each([
    ['a length over the bound', Buffer.from([0x52, 0x7f, 0xff, 0xff, 0xff]), /length 2147483647 is over 65540/],
    ['a length below 4', Buffer.from([0x52, 0, 0, 0, 2, 0, 0]), /length 2 is below 4/],
  ])('%s: a clear protocol error, no wait for the rest, exit 11', async (_what, bytes, shown) => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await startup(reader);
      client.send(bytes);
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port, '-name', 'alice'));
    expect(result.code).toBe(11);
    expect(result.stdout).toMatch(shown);
    expect(result.stderr).toMatch(/^mailprobe: the server answered the StartupMessage with a malformed message/);
    noStack(result.stderr);
  });

  it('an oversized ErrorResponse to the SSLRequest: exit 11, not held', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader, 'E\x01\x00\x00\x00');
      await reader.untilClosed();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(11);
    expect(result.stdout).toMatch(/malformed message: type 0x45, length 16777216 is over 65540/);
  });

  it('the framer: an S answer is one byte alone, whatever follows it', () => {
    const framer = new PostgresFramer();
    expect(framer.sentMessage(SSL_REQUEST)).toBe(1);
    const lines = framer.push(Buffer.from('SN'));
    expect(lines.map((l) => [l.bytes.toString('latin1'), l.final])).toEqual([['S', true]]);
    expect(framer.pendingBytes()).toBe(1);
    expect(framer.drain()).toEqual(Buffer.from('N'));
  });
});

describe('PostgreSQL direct TLS (PostgreSQL 17)', () => {
  it('-tls -proto postgres offers ALPN "postgresql"; the startup goes over TLS at once', async () => {
    let alpn: string | false | undefined;
    let pairs: Record<string, string> = {};
    const server = await serve(
      async (client, reader) => {
        alpn = (client.socket as import('node:tls').TLSSocket).alpnProtocol;
        pairs = await startup(reader);
        client.send(authSasl('SCRAM-SHA-256'));
        await reader.untilClosed();
      },
      { implicitTls: { ...tlsOf(testPki().leaf), ALPNProtocols: ['postgresql'] } },
    );
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'postgres', '-CAfile', testPki().ca.cert, '-verify_return_error', '-name', 'alice', '-timeout', '10']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(alpn).toBe('postgresql');
    expect(pairs.user).toBe('alice');
    expect(result.stdout).not.toMatch(/SSLRequest/);
    expect(result.stdout).toMatch(/^ {2}ALPN +postgresql$/m);
    expect(result.stdout).toMatch(/^R AuthenticationSASL: mechanisms SCRAM-SHA-256/m);
  });
});

describe('PostgreSQL: check and cert', () => {
  it('check --starttls postgres: tls.starttls ok, certificate verified, exit 0', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await reader.untilClosed();
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'postgres', '--CAfile', testPki().ca.cert, '--no-versions']);
    expect(result.stdout).toMatch(/ok +tls\.starttls +STARTTLS works: TLSv1\.3/);
    expect(result.stdout).toMatch(/ok +certificate\.chain/);
    expect(result.code).toBe(0);
  });

  it('check --starttls postgres against N: a failed tls.starttls, exit 2', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader, 'N');
      await reader.untilClosed();
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'postgres', '--no-versions']);
    expect(result.stdout).toMatch(/fail +tls\.starttls +.*does not offer TLS/);
    expect(result.code).toBe(2);
  });

  it('cert --starttls postgres --pem: the leaf', async () => {
    const server = await serve(async (client, reader) => {
      await sslRequest(client, reader);
      await reader.untilClosed();
    });
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'postgres', '--pem']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(testPki().leaf.certPem.trim());
  });

  it('cert --starttls postgres with bytes after the S: exit 10', async () => {
    const server = await serve(async (client, reader) => {
      await reader.read(8);
      client.send('SZ');
      await reader.untilClosed();
    });
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'postgres']);
    expect(result.code).toBe(10);
  });
});

describe('PostgreSQL: wrong-port diagnoses', () => {
  it('-starttls postgres against a port that speaks TLS at once: it hangs up; exit 9, with the hint to use -tls', async () => {
    const server = await serve(
      async (_client, reader) => {
        await reader.untilClosed();
      },
      { implicitTls: { ...tlsOf(testPki().leaf), ALPNProtocols: ['postgresql'] } },
    );
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/^mailprobe: the server closed the connection without answering the SSLRequest/);
    expect(result.stderr).toMatch(/direct TLS: -tls -proto postgres/);
  });
});
