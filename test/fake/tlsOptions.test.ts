// s_client's TLS options against an in-process TLS server that reports what it saw:
// versions (and the ranges Node cannot offer, refused with the reason), groups, signature
// algorithms, the key log, client certificates (PEM with a pass phrase, PKCS#12), the name
// and depth the chain is judged by, -attime, and saved sessions resumed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { runMailprobe } from '../support/runMailprobe.js';

interface Seen {
  protocol?: string | null;
  sigalgs?: string[];
  clientSubject?: string;
  clientAuthorized?: boolean;
  resumed: boolean[];
}

let dir: string;
const servers: Server[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailprobe-tlsopts-'));
});
afterAll(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An implicit-TLS SMTP greeting server; what each handshake looked like goes into `seen`. */
async function tlsServer(options: TlsOptions = {}): Promise<{ port: number; seen: Seen }> {
  const seen: Seen = { resumed: [] };
  const server = createServer({ ...tlsOf(testPki().leaf), ...options }, (socket: TLSSocket) => {
    seen.protocol = socket.getProtocol();
    seen.sigalgs = socket.getSharedSigalgs();
    seen.resumed.push(socket.isSessionReused());
    const peer = socket.getPeerCertificate();
    if (peer?.subject) {
      seen.clientSubject = peer.subject.CN;
      seen.clientAuthorized = socket.authorized;
    }
    socket.on('error', () => {});
    socket.write('220 tls test ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      if (/QUIT/i.test(chunk.toString())) socket.end('221 bye\r\n');
      else socket.write('250 ok\r\n');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, seen };
}

const session = (port: number, extra: string[], input = 'NOOP\n') =>
  runMailprobe(['-connect', `localhost:${port}`, '-tls', '-proto', 'smtp', '-CAfile', testPki().ca.cert, ...extra], { input });

describe('versions', () => {
  it('-tls1_2, -no_tls1_3, -max_protocol and swaks\' -tlsp choose the version; -tls1 reaches a TLS 1.0 server', async () => {
    const { port, seen } = await tlsServer({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    for (const flags of [['-tls1_2'], ['-no_tls1_3'], ['-max_protocol', 'TLSv1.2'], ['-tlsp', 'tlsv1_2']]) {
      const result = await session(port, flags);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.2/);
      expect(seen.protocol).toBe('TLSv1.2');
    }
    const old = await session(port, ['-tls1']);
    expect(old.stderr).toBe('');
    expect(old.stdout).toMatch(/protocol {5}TLSv1\n/);
    expect(seen.protocol).toBe('TLSv1');
    const tls11 = await session(port, ['-min_protocol', 'TLSv1.1', '-max_protocol', 'TLSv1.1']);
    expect(seen.protocol).toBe('TLSv1.1');
    expect(tls11.code).toBe(0);
  });

  it('a set of versions with a gap, none left, or SSLv3: refused with the reason, exit 2', async () => {
    for (const [flags, message] of [
      [['-min_protocol', 'TLSv1.1', '-no_tls1_2'], /have a gap: Node's TLS offers one range of versions/],
      [['-no_tls1_2', '-no_tls1_3'], /no TLS version is left to offer/],
      [['-min_protocol', 'SSLv3'], /Node's OpenSSL has no SSL 2 or 3/],
      [['-tls1', '-tls1_3'], /-tls1 and -tls1_3 cannot be used together/],
      [['-sigalgs', 'BOGUS'], /OpenSSL refused -sigalgs: not a value OpenSSL knows/],
      [['-cipher', 'NOPE'], /OpenSSL refused -cipher\/-ciphersuites/],
      [['-pkcs12', '/etc/hostname', '-pass', 'pass:x'], /OpenSSL refused -pkcs12 \(not a PKCS#12 file, or not one -pass opens\)/],
      [['-proxy', '-timeout', '1'], /-proxy needs a value \(host:port\), but the next argument is the flag -timeout/],
    ] as const) {
      const result = await runMailprobe(['-connect', 'localhost:465', ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('groups, signature algorithms, key log', () => {
  it('-groups and -sigalgs limit what is offered; -keylogfile writes the secrets, 0600', async () => {
    const { port, seen } = await tlsServer();
    const groups = await session(port, ['-groups', 'P-384']);
    expect(groups.stdout).toMatch(/key exchange (ECDH, )?(P-384|secp384r1)/);
    const x25519 = await session(port, ['-curves', 'X25519']);
    expect(x25519.stdout).toMatch(/key exchange X25519/);
    await session(port, ['-sigalgs', 'rsa_pss_rsae_sha384']);
    expect(seen.sigalgs).toEqual(['RSA-PSS+SHA384']);
    const log = join(dir, 'keys.log');
    await session(port, ['-keylogfile', log, '-tls1_3']);
    await session(port, ['-keylogfile', log, '-tls1_2']);
    const text = readFileSync(log, 'latin1');
    expect(text).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]{64,96}$/m);
    expect(text).toMatch(/^SERVER_TRAFFIC_SECRET_0 /m);
    expect(text).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/m);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const bad = await session(port, ['-groups', 'NOT-A-GROUP']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/OpenSSL refused -groups/);
  });
});

describe('client certificates', () => {
  it('-cert/-key (encrypted, -pass env:) and -pkcs12 are offered when asked; a wrong pass phrase is one line, exit 2', async () => {
    const { port, seen } = await tlsServer({ requestCert: true, rejectUnauthorized: false, ca: testPki().ca.certPem });
    const client = testPki().issue(['client.mailprobe.test']);
    const key = join(dir, 'client.key');
    execFileSync('openssl', ['pkey', '-in', client.key, '-out', key, '-aes256', '-passout', 'pass:k3y']);
    const result = await runMailprobe(['-connect', `localhost:${port}`, '-tls', '-proto', 'smtp', '-CAfile', testPki().ca.cert, '-cert', client.cert, '-key', key, '-pass', 'env:KEY_PASS'], { input: 'NOOP\n', env: { KEY_PASS: 'k3y' } });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/client cert  asked for, from CN=mailprobe Test CA; sent CN=client\.mailprobe\.test/);
    expect(seen.clientSubject).toBe('client.mailprobe.test');
    const p12 = join(dir, 'client.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-in', client.cert, '-inkey', client.key, '-out', p12, '-passout', 'pass:p12pw']);
    seen.clientSubject = undefined;
    const pkcs12 = await session(port, ['-pkcs12', p12, '-pass', 'pass:p12pw']);
    expect(pkcs12.code).toBe(0);
    expect(seen.clientSubject).toBe('client.mailprobe.test');
    const wrong = await session(port, ['-cert', client.cert, '-key', key, '-pass', 'pass:nope']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/OpenSSL refused -pass/);
    const keyless = await session(port, ['-cert', client.cert]);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/holds no private key: give it with -key FILE/);
  }, 30_000);
});

describe('how the certificate is judged', () => {
  it('-verify_hostname checks another name; -verify_depth counts intermediates; -attime judges dates at that moment', async () => {
    const plain = await tlsServer();
    const other = await session(plain.port, ['-verify_hostname', 'mail.other.test']);
    expect(other.stdout).toMatch(/hostname mismatch: the certificate is not for "mail\.other\.test"/);
    const intermediate = await tlsServer(tlsOf(testPki().viaIntermediate));
    expect((await session(intermediate.port, ['-verify_depth', '1'])).stdout).toMatch(/Verdict verified/);
    const deep = await session(intermediate.port, ['-verify', '0']);
    expect(deep.stdout).toMatch(/the chain holds 1 intermediate CA certificate; -verify_depth 0 allows 0/);
    const expired = await tlsServer(tlsOf(testPki().expired));
    const now = await session(expired.port, []);
    expect(now.stdout).toMatch(/NOT verified/);
    // 45 days ago the certificate was in its validity period.
    const then = Math.floor(Date.now() / 1000) - 45 * 86_400;
    const past = await session(expired.port, ['-attime', String(then)]);
    expect(past.stdout).toMatch(/Verdict verified/);
    const later = await session(plain.port, ['-attime', String(Math.floor(Date.now() / 1000) + 400 * 86_400)]);
    expect(later.stdout).toMatch(/the certificate had expired at -attime \d{4}-\d\d-\d\dT/);
  });
});

describe('sessions', () => {
  it.each(['-tls1_2', '-tls1_3'])('%s: -sess_out saves a session s_client reads; -sess_in resumes it; -reconnect resumes five times', async (version) => {
    const { port, seen } = await tlsServer();
    const file = join(dir, `session${version}.pem`);
    const first = await session(port, [version, '-sess_out', file]);
    expect(first.stdout).toMatch(/session {6}new/);
    expect(readFileSync(file, 'latin1')).toMatch(/^-----BEGIN SSL SESSION PARAMETERS-----\n[\s\S]+-----END SSL SESSION PARAMETERS-----\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(execFileSync('openssl', ['sess_id', '-in', file, '-noout', '-text']).toString()).toMatch(new RegExp(`Protocol  : ${version === '-tls1_2' ? 'TLSv1\\.2' : 'TLSv1\\.3'}`));
    const again = await session(port, [version, '-sess_in', file]);
    expect(again.stdout).toMatch(/session {6}resumed \(the saved session was accepted\)/);
    expect(seen.resumed.at(-1)).toBe(true);
    const reconnects = await session(port, [version, '-reconnect']);
    const lines = reconnects.stdout.match(/^-- reconnect \d of 5: .*$/gm) ?? [];
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/session resumed, TLSv1\.[23]/);
    expect(seen.resumed.slice(-5)).toEqual([true, true, true, true, true]);
    const stranger = await tlsServer();
    const refused = await session(stranger.port, [version, '-sess_in', file]);
    expect(refused.stdout).toMatch(/session {6}new: the server did not resume the session offered/);
  });
});

describe('-msg, -debug and what the server asked of a client certificate', () => {
  it.each(['-tls1_3', '-tls1_2'])('%s: -msg shows each handshake message (TLS 1.3\'s encrypted ones opened), the CertificateRequest and its CAs reach the report', async (version) => {
    const { port } = await tlsServer({ requestCert: true, rejectUnauthorized: false, ca: testPki().ca.certPem });
    const client = testPki().issue(['client.mailprobe.test']);
    const result = await session(port, [version, '-msg', '-cert', client.cert, '-key', client.key]);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    expect(out).toMatch(/^>>> TLS, Handshake \[length [0-9a-f]{4}\], ClientHello$/m);
    if (version === '-tls1_3') {
      expect(out).toMatch(/^<<< TLS 1\.3, Handshake \[length [0-9a-f]{4}\], ServerHello$/m);
      for (const name of ['EncryptedExtensions', 'CertificateRequest', 'Certificate', 'CertificateVerify', 'Finished']) {
        expect(out).toMatch(new RegExp(`^<<< TLS 1\\.3, Handshake \\[length [0-9a-f]{4}\\], ${name} \\(encrypted\\)$`, 'm'));
      }
      expect(out).toMatch(/^>>> TLS 1\.3, Handshake \[length [0-9a-f]{4}\], Certificate \(encrypted\)$/m);
      expect(out).toMatch(/^>>> TLS 1\.3, Handshake \[length [0-9a-f]{4}\], Finished \(encrypted\)$/m);
      expect(out).toMatch(/^<<< TLS 1\.3, Handshake \[length [0-9a-f]{4}\], NewSessionTicket \(encrypted\)$/m);
    } else {
      for (const name of ['ServerHello', 'Certificate', 'ServerKeyExchange', 'CertificateRequest', 'ServerHelloDone']) {
        expect(out).toMatch(new RegExp(`^<<< TLS 1\\.2, Handshake \\[length [0-9a-f]{4}\\], ${name}$`, 'm'));
      }
      expect(out).toMatch(/^>>> TLS 1\.2, Handshake \[length [0-9a-f]{4}\], Certificate$/m);
      expect(out).toMatch(/^>>> TLS 1\.2, ChangeCipherSpec \[length 0001\]$/m);
    }
    expect(out).toMatch(/client cert {2}asked for, from CN=mailprobe Test CA; sent CN=client\.mailprobe\.test/);
    const without = await session(port, [version]);
    expect(without.stdout).toMatch(/client cert {2}asked for, from CN=mailprobe Test CA; none sent \(give one with -cert\/-key or -pkcs12\)/);
    expect(without.stdout).not.toMatch(/^<<< /m);
  });

  it('a server that does not ask: said when a certificate was configured; -debug dumps every chunk', async () => {
    const { port } = await tlsServer();
    const client = testPki().issue(['client.mailprobe.test']);
    const result = await session(port, ['-cert', client.cert, '-key', client.key, '-debug']);
    expect(result.stdout).toMatch(/client cert {2}not asked for: CN=client\.mailprobe\.test was not sent/);
    expect(result.stdout).toMatch(/^write to the server: \d+ bytes\n0000 - 16 03 01 /m);
    expect(result.stdout).toMatch(/^read from the server: \d+ bytes\n0000 - 16 03 03 /m);
    expect(result.stdout).not.toContain('\x1b');
  });
});
