/**
 * Proves the real-server harness (certs.ts + realServers.ts) works, using only external
 * clients (openssl s_client, swaks) and, for plaintext greetings, a bare node:net socket.
 * No mailprobe code is involved.
 */
import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './certs.js';
import {
  ensureMailServers,
  startDovecot,
  startPostfix,
  type DovecotInstance,
  type PostfixInstance,
} from './realServers.js';
import { endInput } from './childInput.js';

const availability = ensureMailServers();
// Skipping is allowed only on a developer's non-root machine; in CI or as root a
// missing server is a failure (beforeAll throws, so every test reports it).
const maySkip = !process.env.CI && process.getuid?.() !== 0;
const skip = !availability.ok && maySkip;
if (skip && !availability.ok) {
  console.warn(`SKIPPING real-server harness tests: ${availability.reason}`);
}

interface RunResult {
  code: number | null;
  out: string; // stdout + stderr
}

/** Runs a command with `input` on stdin; never rejects (the exit code is in the result). */
function run(cmd: string, args: string[], input: string, timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
    endInput(child, input);
  });
}

/** Reads a plaintext greeting (optionally after sending `send`) until `until` matches. */
function rawExchange(host: string, port: number, until: RegExp, send = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`timeout; got ${JSON.stringify(text)}`));
    }, 5000);
    sock.setEncoding('utf8');
    sock.once('data', () => {
      if (send) sock.write(send);
    });
    sock.on('data', (chunk: string) => {
      text += chunk;
      if (until.test(text)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(text);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

describe.skipIf(skip)('real Postfix + Dovecot harness', () => {
  let pki: Pki;
  let dovecot: DovecotInstance;
  let postfix: PostfixInstance;

  beforeAll(async () => {
    if (!availability.ok) throw new Error(`real mail servers unavailable: ${availability.reason}`);
    pki = makePki();
    dovecot = await startDovecot(pki);
    postfix = await startPostfix(pki, { dovecot });
  }, 120_000);

  afterAll(async () => {
    await postfix?.stop();
    await dovecot?.stop();
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  /** openssl s_client that verifies against the test CA and the peer's IP SAN, then sends `input`. */
  const sClient = (host: string, port: number, extra: string[], input: string): Promise<RunResult> =>
    run(
      'openssl',
      ['s_client', '-connect', `${host}:${port}`, '-CAfile', pki.ca.cert, '-verify_return_error',
        '-verify_ip', host, '-ign_eof', '-crlf', ...extra],
      input,
    );
  const VERIFIED = 'Verify return code: 0 (ok)';

  describe('Postfix', () => {
    it('smtp: STARTTLS works and the certificate verifies against the test CA', async () => {
      const r = await sClient(postfix.host, postfix.smtp, ['-starttls', 'smtp'], 'EHLO harness\nQUIT\n');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^250-AUTH PLAIN LOGIN/m); // AUTH appears only after TLS
      expect(r.out).toMatch(/^221 /m);
    });

    it('smtp: offers STARTTLS but no AUTH before TLS', async () => {
      const text = await rawExchange(postfix.host, postfix.smtp, /^250 .*\r\n/m, 'EHLO harness\r\n');
      expect(text).toMatch(/^220 localhost ESMTP/);
      expect(text).toMatch(/^250-STARTTLS/m);
      expect(text).not.toMatch(/AUTH/);
    });

    it('smtp: the certificate does not verify without the test CA', async () => {
      const r = await run('openssl', ['s_client', '-connect', `${postfix.host}:${postfix.smtp}`, '-starttls', 'smtp',
        '-verify_return_error', '-CAfile', pki.intermediate.cert], 'QUIT\n');
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/verify error|unable to get local issuer/);
    });

    it('submission: refuses MAIL before TLS with 530', async () => {
      const r = await run('swaks', ['--server', `${postfix.host}:${postfix.submission}`, '--from', 'a@localhost',
        '--to', `${dovecot.user}@localhost`, '--quit-after', 'MAIL'], '');
      expect(r.out).toMatch(/<\*\* 530 5\.7\.0 Must issue a STARTTLS command first/);
    });

    it('submission: AUTH PLAIN works after STARTTLS and the mail reaches Dovecot over LMTP', async () => {
      const r = await run('swaks', ['--server', `${postfix.host}:${postfix.submission}`, '--tls',
        '--auth', 'PLAIN', '--auth-user', dovecot.user, '--auth-password', dovecot.password,
        '--from', `${dovecot.user}@localhost`, '--to', `${dovecot.user}@localhost`, '--header', 'Subject: harness'], '');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/<~ {2}235 2\.7\.0 Authentication successful/);
      expect(r.out).toMatch(/<~ {2}250 2\.0\.0 Ok: queued/);
      // Delivery (Postfix -> Dovecot LMTP) is asynchronous: poll the maildir.
      const newDir = join(dovecot.dir, 'mail', dovecot.user, 'Maildir', 'new');
      const deadline = Date.now() + 5000;
      let files: string[] = [];
      while (Date.now() < deadline) {
        try {
          files = readdirSync(newDir);
        } catch {
          files = [];
        }
        if (files.length > 0) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(files.length, `nothing delivered to ${newDir}`).toBeGreaterThan(0);
    });

    it('submission: a wrong password is refused with 535, CRAM-MD5 works', async () => {
      const swaks = (mech: string, password: string): Promise<RunResult> =>
        run('swaks', ['--server', `${postfix.host}:${postfix.submission}`, '--tls', '--auth', mech,
          '--auth-user', dovecot.user, '--auth-password', password, '--quit-after', 'AUTH'], '');
      const wrong = await swaks('PLAIN', 'not-the-password');
      expect(wrong.out).toMatch(/<~\* 535 5\.7\.8/);
      const cram = await swaks('CRAM-MD5', dovecot.password);
      expect(cram.out).toMatch(/<~ {2}235 2\.7\.0/);
    });

    it('submissions: implicit TLS answers 220', async () => {
      const r = await sClient(postfix.host, postfix.submissions, [], 'EHLO harness\nQUIT\n');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^220 localhost ESMTP/m);
      expect(r.out).toMatch(/^250-AUTH /m);
    });
  });

  describe('Dovecot', () => {
    it('imap: STARTTLS works and LOGIN succeeds after TLS', async () => {
      const r = await sClient(dovecot.host, dovecot.imap, ['-starttls', 'imap'],
        `a LOGIN ${dovecot.user} ${dovecot.password}\nb LOGOUT\n`);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^a OK .*Logged in/m);
    });

    it('imap: a wrong password is refused', async () => {
      const r = await sClient(dovecot.host, dovecot.imap, ['-starttls', 'imap'],
        `a LOGIN ${dovecot.user} not-the-password\nb LOGOUT\n`);
      expect(r.out).toMatch(/^a NO \[AUTHENTICATIONFAILED\]/m);
      expect(r.out).not.toMatch(/^a OK/m);
    });

    it('imap: before TLS (on 127.0.0.2) says LOGINDISABLED and offers no AUTH=PLAIN', async () => {
      const text = await rawExchange(dovecot.host, dovecot.imap, /^\* OK .*\r\n/);
      expect(text).toMatch(/STARTTLS/);
      expect(text).toMatch(/LOGINDISABLED/);
      expect(text).not.toMatch(/AUTH=PLAIN/);
    });

    it('pop3: STLS works and USER/PASS succeeds after TLS', async () => {
      const r = await sClient(dovecot.host, dovecot.pop3, ['-starttls', 'pop3'],
        `USER ${dovecot.user}\nPASS ${dovecot.password}\nQUIT\n`);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^\+OK Logged in/m);
    });

    it('imaps: implicit TLS works', async () => {
      const r = await sClient(dovecot.host, dovecot.imaps, [], `a LOGIN ${dovecot.user} ${dovecot.password}\nb LOGOUT\n`);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^\* OK .*AUTH=PLAIN.*Dovecot/m);
      expect(r.out).toMatch(/^a OK .*Logged in/m);
    });

    it('pop3s: implicit TLS works', async () => {
      const r = await sClient(dovecot.host, dovecot.pop3s, [], 'QUIT\n');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^\+OK Dovecot/m);
    });

    it('managesieve: greets with STARTTLS in its capabilities, and STARTTLS works', async () => {
      const text = await rawExchange(dovecot.host, dovecot.sieve, /^OK .*\r\n/m);
      expect(text).toMatch(/^"STARTTLS"\r$/m);
      expect(text).not.toMatch(/"SASL" ".*PLAIN/);
      const r = await sClient(dovecot.host, dovecot.sieve, ['-starttls', 'sieve'], 'LOGOUT\n');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^"SASL" "PLAIN LOGIN/m); // after TLS
    });

    it('lmtp: STARTTLS works', async () => {
      const r = await sClient(dovecot.host, dovecot.lmtp, ['-starttls', 'lmtp'], 'LHLO harness\nQUIT\n');
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain(VERIFIED);
      expect(r.out).toMatch(/^221 /m);
    });
  });
});
