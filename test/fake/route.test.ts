// The path to the server: HTTP CONNECT and SOCKS5 proxies (in-process, tunnelling to a fake
// SMTP server with STARTTLS), the PROXY protocol header, a Unix socket and a source address.
// Proxies' bytes are untrusted like any server's; a greeting that rides in the proxy's last
// packet is the server's and is kept.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectLine, fakeServersOfFile, type FakeClient } from '../support/fakeServer.js';
import { fakeHttpProxy, fakeSocksProxy, type FakeProxy } from '../support/fakeProxies.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { runMailprobe } from '../support/runMailprobe.js';

const serve = fakeServersOfFile();
const proxies: FakeProxy[] = [];
afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
});
const keep = <T extends FakeProxy>(proxy: T): T => (proxies.push(proxy), proxy);

/** SMTP with STARTTLS and a short session; `seen` gets the client's address as the server saw it. */
function smtp(seen: { address?: string } = {}) {
  return async (client: FakeClient) => {
    seen.address = client.socket.remoteAddress;
    client.send('220 mx.test ESMTP behind a proxy\r\n');
    for (;;) {
      const line = await client.line();
      if (/^EHLO /i.test(line)) client.send('250-mx.test\r\n250 STARTTLS\r\n');
      else if (/^STARTTLS$/i.test(line)) {
        client.send('220 go ahead\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
        await expectLine(client, /^EHLO /);
        client.send('250 mx.test over TLS\r\n');
      } else if (/^QUIT$/i.test(line)) {
        client.send('221 bye\r\n');
        return client.end();
      } else client.send('250 ok\r\n');
    }
  };
}

const starttls = (port: number) => ['-connect', `localhost:${port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert, '-verify_return_error'];

describe('-proxy (HTTP CONNECT)', () => {
  it('keeps a greeting that rides in the proxy\'s 200, runs STARTTLS through the tunnel and checks the server\'s name', async () => {
    const server = await serve(smtp());
    const proxy = keep(await fakeHttpProxy({ greetingWithAnswer: true }));
    const result = await runMailprobe([...starttls(server.port), '-proxy', `127.0.0.1:${proxy.port}`], { input: 'NOOP\n', timeoutMs: 15_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-- connecting to localhost:\d+ via HTTP proxy 127\.0\.0\.1:\d+ \(STARTTLS SMTP\)$/m);
    expect(result.stdout).toMatch(/^220 mx\.test ESMTP behind a proxy$/m);
    expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
    expect(result.stdout).toMatch(/^250 ok$/m);
    const head = proxy.requests[0].toString('latin1');
    expect(head).toBe(`CONNECT localhost:${server.port} HTTP/1.1\r\nHost: localhost:${server.port}\r\n\r\n`);
  });

  it('sends Basic credentials from -proxy_pass pass:, env: and file:, and refuses stdin and a bare word', async () => {
    const server = await serve(smtp());
    const proxy = keep(await fakeHttpProxy());
    const dir = mkdtempSync(join(tmpdir(), 'mailprobe-proxy-'));
    try {
      writeFileSync(join(dir, 'pw'), 's3cret:x\nsecond line\n');
      const basic = `Proxy-Authorization: Basic ${Buffer.from('bob:s3cret:x').toString('base64')}\r\n`;
      for (const source of ['pass:s3cret:x', 'env:PROXY_PW', `file:${join(dir, 'pw')}`]) {
        const before = proxy.requests.length;
        const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-proxy', `127.0.0.1:${proxy.port}`, '-proxy_user', 'bob', '-proxy_pass', source], { input: 'NOOP\n', env: { PROXY_PW: 's3cret:x' } });
        expect(result.code).toBe(0);
        expect(proxy.requests[before].toString('latin1')).toContain(basic);
      }
      for (const [source, message] of [['stdin', /standard input carries the session/], ['s3cret', /"s3cret" is not a pass-phrase source/], ['env:NOT_SET_HERE', /NOT_SET_HERE is not set/]] as const) {
        const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-proxy', `127.0.0.1:${proxy.port}`, '-proxy_user', 'bob', '-proxy_pass', source]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes an IPv6 server in brackets in the CONNECT line', async () => {
    const proxy = keep(await fakeHttpProxy({ answer: 'HTTP/1.1 200 OK\r\n\r\n220 v6 ESMTP\r\n' }));
    const result = await runMailprobe(['-connect', '[2001:db8::25]:2525', '-plain', '-proto', 'smtp', '-proxy', `127.0.0.1:${proxy.port}`, '-timeout', '2'], { input: '' });
    expect(proxy.requests[0].toString('latin1')).toBe('CONNECT [2001:db8::25]:2525 HTTP/1.1\r\nHost: [2001:db8::25]:2525\r\n\r\n');
    expect(result.stdout).toMatch(/^220 v6 ESMTP$/m);
  });

  it('a refusal, a proxy that is no HTTP proxy, an endless head and a silent proxy: one line each, exit 14 or 5, nothing raw', async () => {
    const cases: [FakeProxy, RegExp, number][] = [
      [keep(await fakeHttpProxy({ answer: 'HTTP/1.1 403 \x1b[2JForbidden\r\n\r\n' })), /refused the tunnel to localhost:25: 403 \\e\[2JForbidden; the proxy does not allow CONNECT/, 14],
      [keep(await fakeHttpProxy({ answer: 'HTTP/1.1 407 Proxy Authentication Required\r\n\r\n' })), /wants credentials: 407 Proxy Authentication Required; give -proxy_user/, 14],
      [keep(await fakeHttpProxy({ answer: 'SSH-2.0-OpenSSH_9.2\r\n\r\n' })), /did not answer CONNECT with an HTTP status line; is it an HTTP proxy\?/, 14],
      [keep(await fakeHttpProxy({ answer: `HTTP/1.1 200 OK\r\n${'X-Pad: y\r\n'.repeat(2000)}` })), /the proxy's answer ran past 16384 bytes before answering CONNECT/, 14],
      [keep(await fakeHttpProxy({ silent: true })), /no tunnel through the HTTP proxy 127\.0\.0\.1:\d+ after 1 s/, 5],
    ];
    for (const [proxy, message, code] of cases) {
      const result = await runMailprobe(['-connect', 'localhost:25', '-starttls', 'smtp', '-proxy', `127.0.0.1:${proxy.port}`, '-timeout', '1']);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('\x1b');
      expect(result.stderr.trim().split('\n').filter((line) => line.startsWith('mailprobe:'))).toHaveLength(1);
      expect(result.code).toBe(code);
    }
  });
});

describe('every command takes the route', () => {
  it('check and send through a proxy that refuses: check cannot run (exit 3), send exits 14, each naming the proxy', async () => {
    const proxy = keep(await fakeHttpProxy({ answer: 'HTTP/1.1 403 Forbidden\r\n\r\n' }));
    const check = await runMailprobe(['check', 'localhost:25', '--starttls', 'smtp', '--no-versions', '-proxy', `127.0.0.1:${proxy.port}`, '--json']);
    expect(check.code).toBe(3);
    const report = JSON.parse(check.stdout).targets[0];
    expect(report.verdict).toBe('error');
    expect(report.error).toMatch(/HTTP proxy 127\.0\.0\.1:\d+ refused the tunnel to localhost:25: 403 Forbidden/);
    const send = await runMailprobe(['send', '--server', 'localhost:25', '--from', 'a@x.test', '--to', 'b@x.test', '-proxy', `127.0.0.1:${proxy.port}`]);
    expect(send.code).toBe(14);
    expect(send.stderr).toMatch(/refused the tunnel to localhost:25: 403 Forbidden/);
  });
});

describe('--socks5', () => {
  it('logs in (RFC 1929), sends the name for the proxy to resolve, keeps a greeting riding in its reply, STARTTLS through it', async () => {
    const server = await serve(smtp());
    const proxy = keep(await fakeSocksProxy({ login: { user: 'al@ce', password: 'p:w' }, greetingWithAnswer: true }));
    const result = await runMailprobe([...starttls(server.port), '--socks5', `al%40ce:p%3Aw@127.0.0.1:${proxy.port}`], { input: 'NOOP\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^220 mx\.test ESMTP behind a proxy$/m);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect([...proxy.requests[0]]).toEqual([5, 2, 0, 2]);
    expect(proxy.requests[1]).toEqual(Buffer.concat([Buffer.from([1, 5]), Buffer.from('al@ce'), Buffer.from([3]), Buffer.from('p:w')]));
    // CONNECT, domain name "localhost": resolved by the proxy, not here.
    expect(proxy.requests[2]).toEqual(Buffer.concat([Buffer.from([5, 1, 0, 3, 9]), Buffer.from('localhost')]));
  });

  it('IP literals go as addresses; refusals are named (RFC 1928 §6), exit 14', async () => {
    const server = await serve(smtp());
    const open = keep(await fakeSocksProxy());
    const ok = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '--socks5', `127.0.0.1:${open.port}`], { input: 'NOOP\n' });
    expect(ok.code).toBe(0);
    expect([...open.requests[1]]).toEqual([5, 1, 0, 1, 127, 0, 0, 1]);
    const refusing = keep(await fakeSocksProxy({ replyCode: 5 }));
    const refused = await runMailprobe(['-connect', 'mx.example:25', '-starttls', 'smtp', '--socks5', `127.0.0.1:${refusing.port}`]);
    expect(refused.code).toBe(14);
    expect(refused.stderr).toMatch(/SOCKS5 proxy 127\.0\.0\.1:\d+ could not reach mx\.example:25: connection refused/);
    const wantsLogin = keep(await fakeSocksProxy({ login: { user: 'u', password: 'p' } }));
    const anonymous = await runMailprobe(['-connect', 'mx.example:25', '-starttls', 'smtp', '--socks5', `127.0.0.1:${wantsLogin.port}`]);
    expect(anonymous.code).toBe(14);
    expect(anonymous.stderr).toMatch(/accepts none of the offered methods \(none\); it may want a username and password/);
    const wrong = await runMailprobe(['-connect', 'mx.example:25', '-starttls', 'smtp', '--socks5', `u:bad@127.0.0.1:${wantsLogin.port}`]);
    expect(wrong.code).toBe(14);
    expect(wrong.stderr).toMatch(/refused the login of u/);
  });
});

describe('--haproxy, -unix, -bind', () => {
  it('sends a PROXY v1 or v2 header before anything else, naming the local end or the SRC:PORT given', async () => {
    const heads: Buffer[] = [];
    const server = createServer((socket: Socket) => {
      socket.once('data', (chunk: Buffer) => {
        heads.push(chunk);
        socket.end('220 behind haproxy\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const v1 = await runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp', '--haproxy', 'v1', '192.0.2.7:4242'], { input: '' });
      expect(heads[0].toString('latin1')).toBe(`PROXY TCP4 192.0.2.7 127.0.0.1 4242 ${port}\r\n`);
      expect(v1.stdout).toMatch(/PROXY v1 header sent, naming 192\.0\.2\.7:4242 as the client/);
      expect(v1.stdout).toMatch(/^220 behind haproxy$/m);
      // The source given after -connect, and in the GNU spelling.
      await runMailprobe(['--haproxy', 'v2', '[2001:db8::7]:4242', '-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp'], { input: '' });
      const v2 = heads[1];
      expect(v2.subarray(0, 12)).toEqual(Buffer.from('0d0a0d0a000d0a515549540a', 'hex'));
      expect([v2[12], v2[13], v2.readUInt16BE(14)]).toEqual([0x21, 0x21, 36]);
      expect(v2.subarray(16, 32)).toEqual(Buffer.from('20010db8000000000000000000000007', 'hex'));
      expect(v2.subarray(32, 48)).toEqual(Buffer.from('00000000000000000000ffff7f000001', 'hex'));
      expect([v2.readUInt16BE(48), v2.readUInt16BE(50)]).toEqual([4242, port]);
      // Without a source: the connection's own local address and port.
      await runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp', '--haproxy', 'v1'], { input: '' });
      expect(heads[2].toString('latin1')).toMatch(new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${port}\\r\\n$`));
      // swaks' spelling makes the same header as --haproxy v2 SRC:PORT.
      await runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp', '--haproxy', 'v2', '192.0.2.9:77'], { input: '' });
      await runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp', '--proxy-version', '2', '--proxy-source', '192.0.2.9', '--proxy-source-port', '77'], { input: '' });
      expect(heads[4]).toEqual(heads[3]);
      expect(heads[3].subarray(16, 20)).toEqual(Buffer.from([192, 0, 2, 9]));
      const bad = await runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '--haproxy', 'v3']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--haproxy v3: say v1 or v2/);
    } finally {
      server.close();
    }
  });

  it('-unix PATH: a session over a Unix domain socket, plaintext unless told', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailprobe-unix-'));
    const path = join(dir, 'lmtp.sock');
    const server = createServer((socket) => {
      socket.write('220 unix LMTP ready\r\n');
      socket.on('data', (chunk: Buffer) => {
        if (/QUIT/i.test(chunk.toString())) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const result = await runMailprobe(['-unix', path, '-proto', 'lmtp'], { input: 'NOOP\n' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Unix socket: plaintext/);
      expect(result.stdout).toMatch(/^220 unix LMTP ready$/m);
      expect(result.stdout).toMatch(/^250 ok$/m);
      const missing = await runMailprobe(['-unix', join(dir, 'nothing.sock'), '-proto', 'lmtp']);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toMatch(/nothing\.sock/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-bind ADDR connects from that address', async () => {
    const seen: { address?: string } = {};
    const server = await serve(smtp(seen), { host: '127.0.0.1' });
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-bind', '127.0.0.2'], { input: 'NOOP\n' });
    expect(result.code).toBe(0);
    expect(seen.address).toBe('127.0.0.2');
    // swaks' -li/-lp.
    await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-li', '127.0.0.3'], { input: 'NOOP\n' });
    expect(seen.address).toBe('127.0.0.3');
    const notMine = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-bind', '192.0.2.1']);
    expect(notMine.code).toBe(4);
    expect(notMine.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+: .*EADDRNOTAVAIL/);
  });
});
