// Postfix's opt-in services (startPostfix's haproxy, xclient and clientCert options) and TLS
// session resumption on its smtp port, driven by raw sockets and openssl s_client. What
// Postfix believed is read from its maillog and from the Received header of mail it
// delivered to Dovecot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClientCertificates } from '../support/clientCerts.js';
import { makePki, type Pki } from '../support/certs.js';
import { withRealServers } from '../support/realSuite.js';
import { ensureMailServers, startDovecot, startPostfix, type DovecotInstance, type PostfixInstance } from '../support/realServers.js';
import { endInput, inputOf } from '../support/childInput.js';

const WAIT_MS = 10_000;
const OPENSSL = '/usr/bin/openssl';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw SMTP client: whole replies (multi-line included), every wait bounded. */
class Smtp {
  private buf = '';
  private closed = false;
  private wake?: () => void;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  /** Connects and writes `first` (a PROXY header) before anything is read. */
  static open(port: number, first?: string | Buffer): Promise<Smtp> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no connection to port ${port}`))), WAIT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        const smtp = new Smtp(socket);
        if (first !== undefined) socket.write(first);
        resolve(smtp);
      });
      socket.once('error', (err) => (clearTimeout(timer), reject(err)));
    });
  }

  /** The next complete reply ("250-a\r\n250 b\r\n"). */
  async reply(timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0];
      }
      if (this.closed) throw new Error(`closed; unread ${JSON.stringify(this.buf)}`);
      if (Date.now() >= deadline) throw new Error(`no reply within ${timeoutMs} ms; unread ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.wake = () => (clearTimeout(t), r());
      });
    }
  }

  async command(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** Resolves once the server has closed the connection; rejects after `timeoutMs`. */
  async closedByServer(timeoutMs = WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() >= deadline) throw new Error(`still open after ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A PROXY protocol v2 header: PROXY command, TCP over IPv4. */
function proxyV2(src: string, dst: string, srcPort: number, dstPort: number): Buffer {
  const ip = (a: string): number[] => a.split('.').map(Number);
  const body = Buffer.from([...ip(src), ...ip(dst), srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff]);
  const head = Buffer.from([...Buffer.from('\r\n\r\n\0\r\nQUIT\n', 'latin1'), 0x21, 0x11, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([head, body]);
}

/** openssl s_client with stdin `input`; its stdout and stderr together. */
function sClient(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(OPENSSL, ['s_client', ...args], { timeout: WAIT_MS }, (err, stdout, stderr) => {
      if (err && err.killed) reject(new Error(`openssl s_client timed out:\n${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
    endInput(child, input);
  });
}

/**
 * One message sent through `openssl s_client -starttls smtp` (which does the first EHLO
 * itself), each command written once the previous reply has arrived. Resolves with the
 * transcript once s_client has ended. s_client prints the last line of its own EHLO reply
 * ("250 CHUNKING") after the handshake, and its hex dumps of TLS 1.3 tickets can end up
 * mid-line with server lines: so the patterns are not anchored, and the EHLO reply is
 * recognised by its first line.
 */
function sendOverStarttls(port: number, extra: string[], subject: string): Promise<string> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-starttls', 'smtp', '-ign_eof', ...extra];
  const steps: Array<[RegExp, string]> = [
    [/^New, TLSv/m, 'EHLO sender.test\r\n'],
    [/250-localhost\r\n(?:250-[^\r\n]*\r\n)*250 [^\r\n]*\r\n/, `MAIL FROM:<sender@sender.test>\r\nRCPT TO:<mailprobe@localhost>\r\nDATA\r\n`],
    [/354 [^\r\n]*\r\n/, `Subject: ${subject}\r\n\r\nclient certificate test\r\n.\r\n`],
    [/250 2\.0\.0 Ok: queued as \w+\r\n/, 'QUIT\r\n'],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(OPENSSL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let seen = 0; // stdout already matched by earlier steps
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`s_client session timed out:\n${out}`))), WAIT_MS);
    const onOutput = (chunk: Buffer): void => {
      out += chunk.toString('latin1');
      const step = steps[0];
      if (!step) return;
      const m = step[0].exec(out.slice(seen));
      if (m) {
        seen += m.index + m[0].length;
        steps.shift();
        inputOf(child)?.write(step[1]);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
    child.on('close', () => {
      clearTimeout(timer);
      if (steps.length) reject(new Error(`s_client ended early:\n${out}`));
      else resolve(out);
    });
  });
}

const availability = ensureMailServers();

withRealServers('real Postfix: PROXY protocol, XCLIENT, client certificates, session resumption', availability, () => {
  let pki: Pki;
  let dovecot: DovecotInstance;
  let postfix: PostfixInstance;
  let work: string;
  /** Client certificates: signed by the test CA (clientAuth), and self-signed. */
  let client: { cert: string; key: string };
  let stranger: { cert: string; key: string };

  beforeAll(async () => {
    pki = makePki();
    work = mkdtempSync(join(tmpdir(), 'mailprobe-postfix-extras-'));
    ({ client, stranger } = makeClientCertificates(pki, work));

    dovecot = await startDovecot(pki);
    postfix = await startPostfix(pki, { dovecot, haproxy: true, xclient: true, clientCert: true });
  });

  afterAll(async () => {
    await postfix?.stop();
    await dovecot?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const logSize = (): number => readFileSync(postfix.logFile, 'latin1').length;
  const logSince = (from: number): string => readFileSync(postfix.logFile, 'latin1').slice(from);

  /** Polls the maillog (from byte `from` on) until `re` matches; the matching line. */
  async function logLine(from: number, re: RegExp): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const text = logSince(from);
      const line = text.split('\n').find((l) => re.test(l));
      if (line) return line;
      if (Date.now() >= deadline) throw new Error(`maillog has no line matching ${re}; since then:\n${text}`);
      await sleep(50);
    }
  }

  /** Polls Dovecot's Maildir until a message with this Subject arrives; its header block. */
  async function delivered(subject: string): Promise<string> {
    const dirs = ['new', 'cur'].map((d) => join(dovecot.dir, 'mail', dovecot.user, 'Maildir', d));
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      for (const d of dirs) {
        let names: string[] = [];
        try {
          names = readdirSync(d);
        } catch {
          /* not created yet */
        }
        for (const name of names) {
          const text = readFileSync(join(d, name), 'latin1');
          if (text.includes(`\nSubject: ${subject}\r\n`) || text.includes(`\nSubject: ${subject}\n`)) return text.split(/\r?\n\r?\n/)[0];
        }
      }
      if (Date.now() >= deadline) throw new Error(`no message "${subject}" delivered within ${WAIT_MS} ms:\n${readFileSync(postfix.logFile, 'latin1').slice(-3000)}`);
      await sleep(50);
    }
  }

  /** The first Received header (unfolded), i.e. the one Postfix's smtpd wrote. */
  const postfixReceived = (headers: string): string => {
    const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
    return unfolded.split(/\r?\n/).filter((l) => l.startsWith('Received: ') && l.includes('by localhost (Postfix)'))[0] ?? '';
  };

  /** EHLO, one message to mailprobe@localhost, QUIT. */
  async function sendOne(smtp: Smtp, helo: string, subject: string): Promise<void> {
    expect(await smtp.command(`EHLO ${helo}`)).toMatch(/^250 /m);
    expect(await smtp.command('MAIL FROM:<sender@sender.test>')).toMatch(/^250 /);
    expect(await smtp.command('RCPT TO:<mailprobe@localhost>')).toMatch(/^250 /);
    expect(await smtp.command('DATA')).toMatch(/^354 /);
    expect(await smtp.command(`Subject: ${subject}\r\n\r\nbody\r\n.`)).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(await smtp.command('QUIT')).toMatch(/^221 /);
  }

  describe('haproxy port (smtpd_upstream_proxy_protocol = haproxy)', () => {
    it('a PROXY v1 header: greeting, and Postfix takes the client to be 192.0.2.7', async () => {
      const from = logSize();
      const smtp = await Smtp.open(postfix.haproxy!, `PROXY TCP4 192.0.2.7 127.0.0.1 4242 ${postfix.haproxy}\r\n`);
      try {
        expect(await smtp.reply()).toBe('220 localhost ESMTP Postfix\r\n');
        await sendOne(smtp, 'proxied-v1.test', 'haproxy v1');
      } finally {
        smtp.close();
      }
      expect(await logLine(from, /postfix\/haproxy\/smtpd\[\d+\]: connect from /)).toMatch(/connect from unknown\[192\.0\.2\.7\]$/);
      expect(await logLine(from, /postfix\/haproxy\/smtpd\[\d+\]: \w+: client=/)).toMatch(/client=unknown\[192\.0\.2\.7\]$/);
      const received = postfixReceived(await delivered('haproxy v1'));
      expect(received).toMatch(/^Received: from proxied-v1\.test \(unknown \[192\.0\.2\.7\]\)/);
    });

    it('a PROXY v2 binary header works the same (client 192.0.2.8)', async () => {
      const from = logSize();
      const smtp = await Smtp.open(postfix.haproxy!, proxyV2('192.0.2.8', '127.0.0.1', 4243, postfix.haproxy!));
      try {
        expect(await smtp.reply()).toBe('220 localhost ESMTP Postfix\r\n');
        await sendOne(smtp, 'proxied-v2.test', 'haproxy v2');
      } finally {
        smtp.close();
      }
      expect(await logLine(from, /postfix\/haproxy\/smtpd\[\d+\]: connect from /)).toMatch(/connect from unknown\[192\.0\.2\.8\]$/);
      const received = postfixReceived(await delivered('haproxy v2'));
      expect(received).toMatch(/^Received: from proxied-v2\.test \(unknown \[192\.0\.2\.8\]\)/);
    });

    it('no header: after smtpd_upstream_proxy_timeout (3 s) a 421 and the connection is closed', async () => {
      const from = logSize();
      const started = Date.now();
      const smtp = await Smtp.open(postfix.haproxy!);
      try {
        expect(await smtp.reply(8000)).toBe('421 4.3.0 localhost Server local error\r\n');
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThanOrEqual(2500);
        expect(waited).toBeLessThan(6000);
        await smtp.closedByServer();
      } finally {
        smtp.close();
      }
      expect(await logLine(from, /postfix\/haproxy\/smtpd\[\d+\]: warning: haproxy read:/)).toMatch(/warning: haproxy read: timeout error$/);
    });

    it('SMTP instead of a header: 421 at once, and the log quotes what came', async () => {
      const from = logSize();
      const smtp = await Smtp.open(postfix.haproxy!, 'EHLO direct.test\r\n');
      try {
        expect(await smtp.reply(2000)).toBe('421 4.3.0 localhost Server local error\r\n');
        await smtp.closedByServer();
      } finally {
        smtp.close();
      }
      expect(await logLine(from, /postfix\/haproxy\/smtpd\[\d+\]: warning: haproxy read:/)).toMatch(
        /warning: haproxy read: unrecognized protocol header: EHLO direct\.test\\r\\n$/,
      );
    });
  });

  describe('xclient port (smtpd_authorized_xclient_hosts / xforward_hosts = 127.0.0.0/8)', () => {
    it('EHLO offers XCLIENT and XFORWARD; XCLIENT answers with a new greeting and the forged client is believed', async () => {
      const from = logSize();
      const smtp = await Smtp.open(postfix.xclient!);
      try {
        expect(await smtp.reply()).toBe('220 localhost ESMTP Postfix\r\n');
        const ehlo = await smtp.command('EHLO relay.test');
        expect(ehlo).toMatch(/^250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT\r$/m);
        expect(ehlo).toMatch(/^250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT\r$/m);
        expect(await smtp.command('XCLIENT ADDR=192.0.2.9 NAME=client.example HELO=client.example')).toBe('220 localhost ESMTP Postfix\r\n');
        // XCLIENT permission is decided anew for the forged client (not in 127.0.0.0/8); XFORWARD's is not.
        const again = await smtp.command('EHLO client.example');
        expect(again).not.toMatch(/XCLIENT/);
        expect(again).toMatch(/^250-XFORWARD /m);
        expect(await smtp.command('MAIL FROM:<sender@client.example>')).toMatch(/^250 /);
        expect(await smtp.command('RCPT TO:<mailprobe@localhost>')).toMatch(/^250 /);
        expect(await smtp.command('DATA')).toMatch(/^354 /);
        expect(await smtp.command('Subject: xclient\r\n\r\nbody\r\n.')).toMatch(/^250 2\.0\.0 Ok: queued as /);
        expect(await smtp.command('QUIT')).toMatch(/^221 /);
      } finally {
        smtp.close();
      }
      expect(await logLine(from, /postfix\/xclient\/smtpd\[\d+\]: \w+: client=/)).toMatch(/client=client\.example\[192\.0\.2\.9\]$/);
      expect(await logLine(from, /postfix\/xclient\/smtpd\[\d+\]: disconnect from /)).toMatch(/disconnect from client\.example\[192\.0\.2\.9\] /);
      const received = postfixReceived(await delivered('xclient'));
      expect(received).toMatch(/^Received: from client\.example \(client\.example \[192\.0\.2\.9\]\)/);
    });

    it('the smtp port offers neither and refuses XCLIENT', async () => {
      const smtp = await Smtp.open(postfix.smtp);
      try {
        await smtp.reply();
        const ehlo = await smtp.command('EHLO relay.test');
        expect(ehlo).not.toMatch(/XCLIENT|XFORWARD/);
        expect(await smtp.command('XCLIENT ADDR=192.0.2.9')).toBe('550 5.7.0 Error: insufficient authorization\r\n');
        expect(await smtp.command('QUIT')).toMatch(/^221 /);
      } finally {
        smtp.close();
      }
    });
  });

  describe('ccert port (smtpd_tls_ask_ccert = yes, smtpd_tls_CAfile = the test CA)', () => {
    const established = /postfix\/ccert\/smtpd\[\d+\]: \w+ TLS connection established from /;

    it('a client certificate from the test CA: "Trusted" with a client-signature, and its CN verified in Received', async () => {
      const from = logSize();
      await sendOverStarttls(postfix.ccert!, ['-cert', client.cert, '-key', client.key], 'ccert trusted');
      expect(await logLine(from, established)).toMatch(
        /: Trusted TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3 with cipher \S+ .* client-signature ECDSA \(prime256v1\) client-digest SHA256$/,
      );
      const received = postfixReceived(await delivered('ccert trusted'));
      expect(logSince(from)).not.toMatch(/improper command pipelining/);
      expect(received).toContain('(Client CN "client.mailprobe.test", Issuer "mailprobe Test CA" (verified OK))');
    });

    it('a self-signed client certificate: received ("Untrusted"), CN in Received but not verified', async () => {
      const from = logSize();
      await sendOverStarttls(postfix.ccert!, ['-cert', stranger.cert, '-key', stranger.key], 'ccert stranger');
      expect(await logLine(from, established)).toMatch(/: Untrusted TLS connection established from .* client-signature ECDSA \(prime256v1\) /);
      const received = postfixReceived(await delivered('ccert stranger'));
      expect(logSince(from)).not.toMatch(/improper command pipelining/);
      expect(received).toContain('(Client CN "stranger.mailprobe.test", Issuer "stranger.mailprobe.test" (not verified))');
    });

    it('no client certificate: "Anonymous", no client-signature, and Received says none was presented', async () => {
      const from = logSize();
      await sendOverStarttls(postfix.ccert!, [], 'ccert none');
      const line = await logLine(from, established);
      expect(line).toMatch(/: Anonymous TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.3 /);
      expect(line).not.toMatch(/client-signature/);
      const received = postfixReceived(await delivered('ccert none'));
      expect(logSince(from)).not.toMatch(/improper command pipelining/);
      expect(received).toContain('(Client did not present a certificate)');
    });
  });

  describe('TLS session resumption on the smtp port (tickets; no session cache database)', () => {
    for (const version of ['1.3', '1.2'] as const) {
      it(`TLSv${version}: a saved session is resumed`, async () => {
        const sess = join(work, `session-${version}.pem`);
        const base = ['-connect', `127.0.0.1:${postfix.smtp}`, '-starttls', 'smtp', `-tls${version.replace('.', '_')}`, '-ign_eof'];
        const first = await sClient([...base, '-sess_out', sess], 'QUIT\r\n');
        expect(first).toMatch(new RegExp(`^New, TLSv${version.replace('.', '\\.')}, Cipher is `, 'm'));
        expect(first).toMatch(/^221 2\.0\.0 Bye/m);
        const saved = execFileSync(OPENSSL, ['sess_id', '-in', sess, '-noout', '-text'], { encoding: 'utf8' });
        expect(saved).toMatch(/TLS session ticket:/);
        const second = await sClient([...base, '-sess_in', sess], 'QUIT\r\n');
        expect(second).toMatch(new RegExp(`^Reused, TLSv${version.replace('.', '\\.')}, Cipher is `, 'm'));
        expect(second).toMatch(/^221 2\.0\.0 Bye/m);
      });
    }
  });
});
