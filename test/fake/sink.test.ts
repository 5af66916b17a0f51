// `mailprobe sink`: the receiver driven in-process with a raw socket client (pipelining,
// DATA and BDAT framing, STARTTLS, AUTH, limits, injected faults), then the command itself,
// in-process and as a child process.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { formatSinkSummary, sinkCommand } from '../../src/cli/sink.js';
import type { MainIo } from '../../src/cli/main.js';
import { sleep } from '../support/fakeServer.js';
import { BIN } from '../support/runMailprobe.js';
import { DotDecoder } from '../../src/sink/dotDecoder.js';
import { FaultPlan } from '../../src/sink/faults.js';
import { RateMeter, SinkStats, startSink, type SinkHandle, type SinkMessage, type SinkOptions } from '../../src/sink/index.js';
import { Printer } from '../../src/terminal/printer.js';
import { palette } from '../../src/terminal/style.js';
import { selfSignedCertificate } from '../../src/transport/selfSigned.js';

// ---- A tiny SMTP line client ----

class LineClient {
  private text = '';
  private lines: string[] = [];
  private waiter?: () => void;
  closed = false;
  readonly ended: Promise<void>;
  private endedResolve!: () => void;

  private constructor(public socket: Socket) {
    this.ended = new Promise((resolve) => (this.endedResolve = resolve));
    this.listen(socket);
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<LineClient> {
    const socket = netConnect({ port, host });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new LineClient(socket);
  }

  private listen(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', () => {});
    socket.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer) => {
    this.text += chunk.toString('latin1');
    for (let lf = this.text.indexOf('\n'); lf >= 0; lf = this.text.indexOf('\n')) {
      this.lines.push(this.text.slice(0, lf).replace(/\r$/, ''));
      this.text = this.text.slice(lf + 1);
    }
    this.wake();
  };

  private readonly onClose = () => {
    this.closed = true;
    this.endedResolve();
    this.wake();
  };

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** The next whole reply (all its lines), or rejects when the server closes first. */
  async reply(timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.lines.findIndex((line) => /^\d{3}(?: |$)/.test(line));
      if (end >= 0) return this.lines.splice(0, end + 1);
      if (this.closed) throw new Error(`connection closed; lines so far: ${JSON.stringify(this.lines)}`);
      if (Date.now() > deadline) throw new Error(`no reply within ${timeoutMs} ms; lines so far: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** The next reply's last line. */
  async line(): Promise<string> {
    const reply = await this.reply();
    return reply[reply.length - 1];
  }

  async command(text: string): Promise<string> {
    this.write(`${text}\r\n`);
    return this.line();
  }

  async upgrade(ca: string, servername = 'localhost'): Promise<boolean> {
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('close', this.onClose);
    const secure = tlsConnect({ socket: this.socket, ca, servername });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.listen(secure);
    return secure.authorized;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---- Helpers ----

let sinks: SinkHandle[] = [];
let clients: LineClient[] = [];
const dirs: string[] = [];

async function sink(options: SinkOptions = {}): Promise<SinkHandle> {
  const handle = await startSink({ port: 0, hostname: 'sink.test', ...options });
  sinks.push(handle);
  return handle;
}

async function client(handle: SinkHandle, ehlo: string | null = 'EHLO client.test'): Promise<LineClient> {
  const c = await LineClient.connect(handle.port);
  clients.push(c);
  expect(await c.line()).toMatch(/^220 sink\.test E?SMTP|^220 sink\.test LMTP/);
  if (ehlo) expect(await c.command(ehlo)).toMatch(/^250 /);
  return c;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-sink-'));
  dirs.push(dir);
  return dir;
}

const transaction = (body: string, from = 'a@test', to = ['b@test']) =>
  `MAIL FROM:<${from}>\r\n${to.map((rcpt) => `RCPT TO:<${rcpt}>\r\n`).join('')}DATA\r\n${body}.\r\n`;

/** Sends one single-recipient transaction and returns the final reply's line. */
async function send(c: LineClient, body: string): Promise<string> {
  c.write(transaction(body));
  for (let i = 0; i < 3; i++) await c.line();
  return c.line();
}

afterEach(async () => {
  for (const c of clients) c.destroy();
  clients = [];
  await Promise.all(sinks.map((handle) => handle.close(0)));
  sinks = [];
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// ---- The DATA reader on its own ----

/** Feeds `chunks` as a connection would (unconsumed bytes carried over); returns content and what followed. */
function decode(chunks: Buffer[]): { content: string; rest: string; done: boolean } {
  const decoder = new DotDecoder();
  const out: Buffer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  for (const [i, chunk] of chunks.entries()) {
    pending = Buffer.concat([pending, chunk]);
    const { consumed, done } = decoder.feed(pending, (buffer, start, end) => out.push(buffer.subarray(start, end)));
    pending = pending.subarray(consumed);
    if (done) return { content: Buffer.concat(out).toString('latin1'), rest: Buffer.concat([pending, ...chunks.slice(i + 1)]).toString('latin1'), done };
  }
  return { content: Buffer.concat(out).toString('latin1'), rest: pending.toString('latin1'), done: false };
}

describe('DotDecoder', () => {
  const wire = 'a\r\n..b\r\n.\r\r\n...\r\nx.\r\n\n.\n\r\n.\r\nNOOP\r\n';
  const expected = { content: 'a\r\n.b\r\n\r\r\n..\r\nx.\r\n\n.\n\r\n', rest: 'NOOP\r\n', done: true };

  it('gives the same message however the bytes are split', () => {
    const bytes = Buffer.from(wire, 'latin1');
    expect(decode([bytes])).toEqual(expected);
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(decode([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(expected);
      }
    }
    expect(decode([...bytes].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('agrees with a line-by-line reading on every short mix of CR, LF, dots and text, split anywhere', () => {
    // The reference: split at CRLF only, the first line that is "." ends, a leading dot is dropped.
    const reference = (wire: string): { content: string; rest: string; done: boolean } => {
      let content = '';
      for (let start = 0; ; ) {
        const end = wire.indexOf('\r\n', start);
        if (end < 0) return { content: content + wire.slice(start).replace(/^\./, ''), rest: '', done: false };
        const line = wire.slice(start, end);
        if (line === '.') return { content, rest: wire.slice(end + 2), done: true };
        content += line.replace(/^\./, '') + '\r\n';
        start = end + 2;
      }
    };
    const alphabet = ['\r', '\n', '.', 'a'];
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 8) % n);
    for (let trial = 0; trial < 4000; trial++) {
      let wire = '';
      for (let i = random(14); i > 0; i--) wire += alphabet[random(4)];
      const expected = reference(wire);
      const bytes = Buffer.from(wire, 'latin1');
      const i = random(bytes.length + 1);
      const j = i + random(bytes.length - i + 1);
      const got = decode([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
      if (expected.done) expect(got, JSON.stringify(wire)).toEqual(expected);
      else {
        // Unfinished, a dot (or dot CR) at a line start is held back until what follows says which it is.
        expect(got.done, JSON.stringify(wire)).toBe(false);
        expect(got.rest, JSON.stringify(wire)).toMatch(/^(\.\r?)?$/);
        expect(got.content + got.rest.slice(1), JSON.stringify(wire)).toBe(expected.content);
      }
    }
  });

  it('ends an empty message at once, and not at a bare-LF dot', () => {
    expect(decode([Buffer.from('.\r\n')])).toEqual({ content: '', rest: '', done: true });
    expect(decode([Buffer.from('x\n.\nmore')])).toEqual({ content: 'x\n.\nmore', rest: '', done: false });
  });
});

// ---- The protocol ----

describe('sink: SMTP dialogue', () => {
  it('greets and lists the ESMTP keywords, with AUTH and without STARTTLS when there is no certificate', async () => {
    const handle = await sink();
    const c = await client(handle, null);
    c.write('EHLO client.test\r\n');
    const reply = await c.reply();
    expect(reply[0]).toBe('250-sink.test greets client.test');
    const keywords = reply.slice(1).map((line) => line.slice(4));
    expect(keywords).toEqual(['PIPELINING', 'SIZE 35882577', '8BITMIME', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'AUTH PLAIN LOGIN']);
    expect(reply.slice(0, -1).every((line) => line.startsWith('250-'))).toBe(true);
    expect(reply[reply.length - 1]).toBe('250 AUTH PLAIN LOGIN');
  });

  it('answers HELO, NOOP, RSET, VRFY, QUIT, unknown and out-of-order commands', async () => {
    const handle = await sink();
    const c = await client(handle, null);
    expect(await c.command('MAIL FROM:<a@test>')).toMatch(/^503 5\.5\.1 /);
    expect(await c.command('HELO client.test')).toBe('250 sink.test');
    expect(await c.command('EHLO')).toMatch(/^501 /);
    expect(await c.command('NOOP')).toBe('250 2.0.0 Ok');
    expect(await c.command('VRFY someone')).toMatch(/^252 /);
    expect(await c.command('RCPT TO:<b@test>')).toMatch(/^503 5\.5\.1 Error: need MAIL/);
    expect(await c.command('DATA')).toMatch(/^503 /);
    expect(await c.command('MAIL FROM:<a@test>')).toBe('250 2.1.0 Ok');
    expect(await c.command('MAIL FROM:<a@test>')).toMatch(/^503 5\.5\.1 Error: nested/);
    expect(await c.command('DATA')).toMatch(/^554 5\.5\.1 Error: no valid recipients/);
    expect(await c.command('RSET')).toBe('250 2.0.0 Ok');
    expect(await c.command('RCPT TO:<b@test>')).toMatch(/^503 /);
    expect(await c.command('XYZZY')).toMatch(/^502 5\.5\.2 /);
    expect(await c.command('STARTTLS')).toMatch(/^502 /);
    expect(await c.command('LHLO client.test')).toMatch(/^500 /);
    expect(await c.command('MAIL FROM:<>')).toBe('250 2.1.0 Ok'); // the null sender
    expect(await c.command('QUIT')).toBe('221 2.0.0 Bye');
    await c.ended;
  });

  it('answers many commands sent in one write, in order', async () => {
    const handle = await sink();
    const c = await client(handle);
    c.write(`${transaction('Subject: one\r\n\r\nbody\r\n', 'a@test', ['b@test', 'c@test'])}NOOP\r\n${transaction('Subject: two\r\n\r\nbody\r\n')}QUIT\r\n`);
    const lines: string[] = [];
    for (let i = 0; i < 11; i++) lines.push(await c.line());
    expect(lines.map((line) => line.slice(0, 3))).toEqual(['250', '250', '250', '354', '250', '250', '250', '250', '354', '250', '221']);
    expect(lines[4]).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/);
    expect(lines[9]).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+$/);
    expect(lines[4]).not.toBe(lines[9]);
    await c.ended;
    expect(handle.stats.accepted).toBe(2);
    expect(handle.stats.recipients).toBe(3);
  });

  it('reads a message split into one-byte writes, the end marker across writes too', async () => {
    const messages: SinkMessage[] = [];
    const handle = await sink({ saveDir: tempDir(), onMessage: (m) => messages.push(m) });
    const c = await client(handle);
    const text = `MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\n`;
    const body = 'Subject: slow\r\n\r\n..dot\r\nend\r\n';
    c.write(text);
    for (let i = 0; i < 3; i++) await c.line();
    for (const byte of Buffer.from(`${body}.\r\n`)) {
      c.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await c.line()).toMatch(/queued as/);
    expect(readFileSync(messages[0].file!, 'latin1')).toBe('Subject: slow\r\n\r\n.dot\r\nend\r\n');
  });
});

describe('sink: message content', () => {
  it('removes the stuffed dot (..x arrives as .x) and saves the message as sent', async () => {
    const dir = tempDir();
    const messages: SinkMessage[] = [];
    const handle = await sink({ saveDir: dir, onMessage: (m) => messages.push(m) });
    const c = await client(handle);
    const body = 'Subject: dots\r\n\r\n..x\r\n...\r\n. leading\r\nnot.a.dot\r\nbare\nlf\n.\nstill inside\r\n';
    c.write(transaction(body));
    for (let i = 0; i < 3; i++) await c.line();
    const final = await c.line();
    const id = /queued as (\w+)/.exec(final)?.[1];
    expect(readdirSync(dir)).toEqual([`${id}.eml`]);
    const saved = readFileSync(join(dir, `${id}.eml`), 'latin1');
    expect(saved).toBe('Subject: dots\r\n\r\n.x\r\n..\r\n leading\r\nnot.a.dot\r\nbare\nlf\n.\nstill inside\r\n');
    expect(messages).toEqual([{ id, from: 'a@test', recipients: ['b@test'], size: saved.length, file: join(dir, `${id}.eml`) }]);
    expect(handle.stats.bytes).toBe(saved.length);
  });

  it('takes BDAT chunks of exact byte counts, LAST ending the message', async () => {
    const dir = tempDir();
    const messages: SinkMessage[] = [];
    const handle = await sink({ saveDir: dir, onMessage: (m) => messages.push(m) });
    const c = await client(handle);
    const first = 'Subject: chunks\r\n\r\n.\r\nQUIT\r\n'; // a lone dot and a QUIT inside a chunk are content
    const second = 'tail\r\n';
    c.write(`MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT ${first.length}\r\n${first}BDAT ${second.length} LAST\r\n${second}NOOP\r\n`);
    expect(await c.line()).toBe('250 2.1.0 Ok');
    expect(await c.line()).toBe('250 2.1.5 Ok');
    expect(await c.line()).toBe(`250 2.0.0 ${first.length} octets received`);
    expect(await c.line()).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(await c.line()).toBe('250 2.0.0 Ok');
    expect(readFileSync(messages[0].file!, 'latin1')).toBe(first + second);
    // BDAT 0 LAST, and DATA refused once BDAT has started.
    c.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT 3\r\nabcDATA\r\nBDAT 0 LAST\r\n');
    for (let i = 0; i < 3; i++) await c.line();
    expect(await c.line()).toMatch(/^503 5\.5\.1 Error: DATA after BDAT/);
    expect(await c.line()).toMatch(/^250 2\.0\.0 Ok: queued as /);
    expect(readFileSync(messages[1].file!, 'latin1')).toBe('abc');
    // A chunk without a transaction is still read (its bytes are not taken as commands).
    c.write('BDAT 6\r\nNOOP\r\nRSET\r\n');
    expect(await c.line()).toMatch(/^503 /);
    expect(await c.line()).toBe('250 2.0.0 Ok');
  });

  it('refuses a SIZE= over the limit at MAIL and a bigger message after DATA or BDAT with 552', async () => {
    const handle = await sink({ maxSize: 100 });
    const c = await client(handle, null);
    c.write('EHLO client.test\r\n');
    expect((await c.reply()).some((line) => line === '250-SIZE 100')).toBe(true);
    expect(await c.command('MAIL FROM:<a@test> SIZE=101')).toMatch(/^552 5\.3\.4 /);
    expect(await c.command('MAIL FROM:<a@test> SIZE=100 BODY=8BITMIME')).toBe('250 2.1.0 Ok');
    expect(await c.command('RCPT TO:<b@test>')).toBe('250 2.1.5 Ok');
    expect(await c.command('DATA')).toMatch(/^354 /);
    expect(await c.command(`${'x'.repeat(200)}\r\n.`)).toMatch(/^552 5\.3\.4 /);
    c.write(`MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT 60\r\n${'y'.repeat(60)}BDAT 60 LAST\r\n${'z'.repeat(60)}NOOP\r\n`);
    for (let i = 0; i < 3; i++) await c.line();
    expect(await c.line()).toMatch(/^552 5\.3\.4 /);
    expect(await c.line()).toBe('250 2.0.0 Ok');
    expect(await send(c, 'small\r\n')).toMatch(/queued as/);
    expect(handle.stats.rejected).toBe(2);
    expect(handle.stats.accepted).toBe(1);
  });

  it('answers 500 to a command line over 4096 bytes and carries on', async () => {
    const handle = await sink();
    const c = await client(handle);
    expect(await c.command(`NOOP ${'a'.repeat(4091)}`)).toBe('250 2.0.0 Ok'); // exactly 4096
    expect(await c.command(`NOOP ${'a'.repeat(4092)}`)).toMatch(/^500 5\.5\.2 Error: line too long/);
    // A 20,000-byte line in pieces: one 500, and the server holds no more than a line.
    for (let i = 0; i < 10; i++) c.write('b'.repeat(2000));
    c.write('\r\nNOOP\r\n');
    expect(await c.line()).toMatch(/^500 /);
    expect(await c.line()).toBe('250 2.0.0 Ok');
  });
});

describe('sink: STARTTLS and AUTH', () => {
  const pem = selfSignedCertificate(['localhost', '127.0.0.1'], 1, 'ec');

  it('offers STARTTLS, upgrades on the same socket, forgets EHLO, then offers AUTH', async () => {
    const handle = await sink({ certPem: pem.certPem, keyPem: pem.keyPem });
    const c = await client(handle, null);
    c.write('EHLO client.test\r\n');
    const before = (await c.reply()).map((line) => line.slice(4));
    expect(before).toContain('STARTTLS');
    expect(before.some((k) => k.startsWith('AUTH'))).toBe(false);
    expect(await c.command('AUTH PLAIN AHUAcA==')).toMatch(/^538 5\.7\.11 /);
    // A command pipelined after STARTTLS is plaintext injection: never answered.
    c.write('STARTTLS\r\nNOOP\r\n');
    expect(await c.line()).toBe('220 2.0.0 Ready to start TLS');
    expect(await c.upgrade(pem.certPem)).toBe(true);
    expect(await c.command('MAIL FROM:<a@test>')).toMatch(/^503 /); // EHLO forgotten
    c.write('EHLO client.test\r\n');
    const after = (await c.reply()).map((line) => line.slice(4));
    expect(after).toContain('AUTH PLAIN LOGIN');
    expect(after).not.toContain('STARTTLS');
    expect(await c.command('STARTTLS')).toMatch(/^503 /);
    expect(await c.command('AUTH PLAIN AHUAcA==')).toBe('235 2.7.0 Authentication successful'); // any credentials
    expect(await send(c, 'over tls\r\n')).toMatch(/queued as/);
  });

  it('accepts only the --auth credentials, by PLAIN (initial response or challenge) and LOGIN', async () => {
    const handle = await sink({ auth: { user: 'alice', password: 's3cret' } });
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const fresh = () => client(handle);
    let c = await fresh();
    expect(await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).toBe('235 2.7.0 Authentication successful');
    expect(await c.command(`AUTH PLAIN ${b64('\0alice\0s3cret')}`)).toMatch(/^503 /);
    c = await fresh();
    expect(await c.command(`AUTH PLAIN ${b64('\0alice\0wrong')}`)).toBe('535 5.7.8 Error: authentication failed');
    expect(await c.command('AUTH PLAIN')).toBe('334 ');
    expect(await c.command(b64('admin\0alice\0s3cret'))).toBe('235 2.7.0 Authentication successful');
    c = await fresh();
    expect(await c.command('AUTH LOGIN')).toBe(`334 ${b64('Username:')}`);
    expect(await c.command(b64('alice'))).toBe(`334 ${b64('Password:')}`);
    expect(await c.command(b64('s3cret'))).toMatch(/^235 /);
    c = await fresh();
    expect(await c.command(`AUTH LOGIN ${b64('alice')}`)).toBe(`334 ${b64('Password:')}`);
    expect(await c.command(b64('nope'))).toMatch(/^535 /);
    expect(await c.command('AUTH LOGIN')).toMatch(/^334 /);
    expect(await c.command('*')).toMatch(/^501 /);
    expect(await c.command('AUTH PLAIN !!!!')).toMatch(/^501 /);
    expect(await c.command('AUTH CRAM-MD5')).toMatch(/^504 /);
    expect(handle.stats.authFailed).toBe(2);
  });
});

describe('sink: LMTP', () => {
  it('wants LHLO and gives one reply per accepted recipient', async () => {
    const handle = await sink({ lmtp: true });
    const c = await client(handle, null);
    expect(await c.command('EHLO client.test')).toMatch(/^500 /);
    expect(await c.command('HELO client.test')).toMatch(/^500 /);
    c.write('LHLO client.test\r\n');
    expect((await c.reply()).map((line) => line.slice(4))).toContain('CHUNKING');
    c.write(transaction('hello\r\n', 'a@test', ['one@test', 'two@test', 'three@test']));
    for (let i = 0; i < 5; i++) await c.line();
    const finals = [await c.line(), await c.line(), await c.line()];
    expect(finals.map((line) => /<([^>]+)>/.exec(line)?.[1])).toEqual(['one@test', 'two@test', 'three@test']);
    for (const line of finals) expect(line).toMatch(/^250 2\.0\.0 <[^>]+> Ok: queued as /);
    c.write('MAIL FROM:<a@test>\r\nRCPT TO:<x@test>\r\nRCPT TO:<y@test>\r\nBDAT 2 LAST\r\nhiNOOP\r\n');
    for (let i = 0; i < 3; i++) await c.line();
    expect(await c.line()).toMatch(/^250 2\.0\.0 <x@test> /);
    expect(await c.line()).toMatch(/^250 2\.0\.0 <y@test> /);
    expect(await c.line()).toBe('250 2.0.0 Ok');
    expect(handle.stats.accepted).toBe(2);
    expect(handle.stats.recipients).toBe(5);
  });
});

describe('sink: injected faults', () => {
  it('--fail-rate 1 gives every transaction the fail code after the message', async () => {
    const handle = await sink({ failRate: 1, failCode: 451 });
    const c = await client(handle);
    for (let i = 0; i < 3; i++) {
      c.write(transaction('x\r\n'));
      expect([await c.line(), await c.line(), await c.line()].map((l) => l.slice(0, 3))).toEqual(['250', '250', '354']);
      expect(await c.line()).toBe('451 4.3.0 Injected failure (mailprobe sink --fail-rate)');
    }
    expect(handle.stats.summary()).toMatchObject({ accepted: 0, tempFailed: 3, rejected: 0 });
  });

  it('a 5xx fail code counts as rejected; LMTP gives it per recipient; --fail-at rcpt refuses every RCPT', async () => {
    const lmtp = await sink({ failRate: 1, failCode: 554, lmtp: true });
    const c = await client(lmtp, 'LHLO client.test');
    c.write(transaction('x\r\n', 'a@test', ['one@test', 'two@test']));
    for (let i = 0; i < 4; i++) await c.line();
    expect([await c.line(), await c.line()]).toEqual(Array(2).fill('554 5.3.0 Injected failure (mailprobe sink --fail-rate)'));
    expect(lmtp.stats.rejected).toBe(1);

    const atRcpt = await sink({ failRate: 1, failAt: 'rcpt' });
    const d = await client(atRcpt);
    d.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nRCPT TO:<c@test>\r\nDATA\r\n');
    expect(await d.line()).toBe('250 2.1.0 Ok');
    expect(await d.line()).toMatch(/^451 4\.3\.0 Injected failure/);
    expect(await d.line()).toMatch(/^451 /);
    expect(await d.line()).toMatch(/^554 5\.5\.1 Error: no valid recipients/);
    expect(atRcpt.stats.tempFailed).toBe(1);
  });

  it('a seeded partial --fail-rate fails the transactions the same dice say, and about that many', async () => {
    const runs = 200;
    const expected = new FaultPlan({ failRate: 0.3, failCode: 451, disconnectRate: 0, seed: 7 });
    const plan = Array.from({ length: runs }, () => expected.decide().failCode !== undefined);
    const handle = await sink({ failRate: 0.3, seed: 7 });
    const c = await client(handle);
    c.write(Array.from({ length: runs }, () => transaction('x\r\n')).join(''));
    const failed: boolean[] = [];
    for (let i = 0; i < runs; i++) {
      for (let j = 0; j < 3; j++) await c.line();
      failed.push((await c.line()).startsWith('451'));
    }
    expect(failed).toEqual(plan);
    const count = failed.filter(Boolean).length;
    expect(count).toBeGreaterThan(30);
    expect(count).toBeLessThan(90);
    expect(handle.stats.tempFailed).toBe(count);
    expect(handle.stats.accepted).toBe(runs - count);
  });

  it('--disconnect-rate 1 drops the connection once DATA starts', async () => {
    const handle = await sink({ disconnectRate: 1 });
    const c = await client(handle);
    c.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\n');
    expect(await c.line()).toBe('250 2.1.0 Ok');
    expect(await c.line()).toBe('250 2.1.5 Ok');
    expect(await c.line()).toMatch(/^354 /);
    c.write('Subject: cut\r\n\r\npart of the body\r\n');
    await c.ended;
    expect(handle.stats.dropped).toBe(1);
    expect(handle.stats.messages).toBe(0);
    // BDAT is cut before its chunk is read.
    const d = await client(handle);
    d.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT 3 LAST\r\nabc');
    await d.line();
    await d.line();
    await d.ended;
    expect(handle.stats.dropped).toBe(2);
  });

  it('--delay waits before every reply, pipelined replies one after another', async () => {
    const handle = await sink({ delayMs: 60 });
    const started = performance.now();
    const c = await client(handle, null);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55); // the greeting too
    const t0 = performance.now();
    c.write('NOOP\r\nNOOP\r\n');
    await c.line();
    const first = performance.now() - t0;
    await c.line();
    const second = performance.now() - t0;
    expect(first).toBeGreaterThanOrEqual(55);
    expect(second).toBeGreaterThanOrEqual(115);
  });
});

describe('sink: throughput', () => {
  it('takes 2000 messages over one pipelined connection', async () => {
    const handle = await sink();
    const c = await client(handle);
    const body = `Subject: load\r\n\r\n${'The quick brown fox jumps over the lazy dog.\r\n'.repeat(90)}`; // ~4 KB
    const messages = 2000;
    // As a PIPELINING client does it: MAIL, RCPT and DATA in one write, the content after 354.
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) {
      c.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\n');
      await c.line();
      await c.line();
      await c.line();
      c.write(`${body}.\r\n`);
      await c.line();
    }
    const roundTrips = performance.now() - t0;
    // Everything in one stream, without waiting: the parser's own speed.
    const t1 = performance.now();
    c.write(transaction(body).repeat(messages));
    for (let i = 0; i < messages * 4; i++) await c.line();
    const blast = performance.now() - t1;
    expect(handle.stats.accepted).toBe(messages * 2);
    const rate = (ms: number) => Math.round((messages * 1000) / ms);
    console.log(`sink throughput: ${rate(roundTrips)} msg/s waiting for 354 (one connection), ${rate(blast)} msg/s fully pipelined; ${Math.round(body.length / 1024)} KB messages`);
    expect(rate(blast)).toBeGreaterThan(1000);
  });
});

describe('sink: shutdown', () => {
  it('close() gives idle connections 421 after the grace period and refuses new transactions', async () => {
    const handle = await startSink({ port: 0 });
    const c = await LineClient.connect(handle.port);
    await c.line();
    await c.command('EHLO client.test');
    const closing = handle.close(100);
    expect(await c.command('MAIL FROM:<a@test>')).toMatch(/^421 4\.3\.2 /);
    await c.ended;
    await closing;
    const d = LineClient.connect(handle.port);
    await expect(d).rejects.toThrow();
  });

  it('a client silent past the idle limit gets 421 and is closed; one that keeps talking is not', async () => {
    const handle = await sink({ idleTimeoutMs: 1500 });
    const silent = await client(handle);
    const talking = await client(handle);
    const started = performance.now();
    for (let i = 0; i < 6; i++) {
      await sleep(400);
      expect(await talking.command('NOOP')).toMatch(/^250 /);
    }
    expect(await silent.line()).toBe('421 4.4.2 Idle timeout, closing transmission channel');
    await silent.ended;
    const seconds = (performance.now() - started) / 1000;
    // Never before the limit; within the watchdog's two ticks (1 s each) after it.
    expect(seconds).toBeGreaterThanOrEqual(1.5);
    expect(seconds).toBeLessThan(6);
    expect(await talking.command('NOOP')).toMatch(/^250 /);
  });
});

// ---- The command ----

function memoryIo(): { io: MainIo; stdout: PassThrough; stderr: PassThrough; out(): string; err(): string; firstLine(): Promise<string>; interrupt(): void } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  let handler: (() => void) | undefined;
  const io: MainIo = {
    stdin: new PassThrough(),
    stdout,
    stderr,
    env: {},
    onInterrupt(h) {
      handler = h;
      return () => (handler = undefined);
    },
  };
  return {
    io,
    stdout,
    stderr,
    out: () => out,
    err: () => err,
    async firstLine() {
      while (!out.includes('\n')) await new Promise((resolve) => setTimeout(resolve, 10));
      return out.slice(0, out.indexOf('\n'));
    },
    interrupt: () => handler?.(),
  };
}

function runSinkCommand(args: string[]) {
  const mem = memoryIo();
  const done = sinkCommand(args, mem.io, new Printer(mem.stdout, mem.stderr, palette(0)));
  return { ...mem, done };
}

const portOf = (line: string) => Number(/:(\d+) \(/.exec(line)?.[1]);

describe('mailprobe sink (in-process)', () => {
  it('prints the address first, stops after --count messages and prints the JSON summary', async () => {
    const run = runSinkCommand(['--listen', '127.0.0.1:0', '--count', '2', '--json']);
    const first = await run.firstLine();
    expect(first).toMatch(/^listening on 127\.0\.0\.1:\d+ \(SMTP\)$/);
    const c = await LineClient.connect(portOf(first));
    clients.push(c);
    await c.line();
    await c.command('EHLO client.test');
    c.write(transaction('one\r\n') + transaction('two\r\n') + 'QUIT\r\n');
    expect(await run.done).toBe(0);
    const lines = run.out().trim().split('\n');
    expect(lines).toHaveLength(2);
    const summary = JSON.parse(lines[1]);
    expect(summary).toMatchObject({ listen: first.split(' ')[2], protocol: 'SMTP', starttls: false, stoppedBy: 'count', connections: 1, accepted: 2, tempFailed: 0, rejected: 0, dropped: 0, recipients: 2, bytes: 10 });
    expect(summary.messagesPerSecond).toBeGreaterThan(0);
    expect(run.err()).toBe('');
  });

  it('stops on interrupt and after --duration, with the text summary when stdout is not a terminal', async () => {
    const run = runSinkCommand(['-listen', '127.0.0.1:0', '-lmtp', '-tls-self-signed']);
    expect(await run.firstLine()).toMatch(/\(LMTP, STARTTLS\)$/);
    run.interrupt();
    expect(await run.done).toBe(0);
    expect(run.out()).toContain('sink summary');
    expect(run.out()).toMatch(/accepted +0 messages/);
    expect(run.out()).not.toContain('\r');

    const timed = runSinkCommand(['--listen', ':0', '--duration', '150ms', '--fail-rate', '1', '--fail-code', '554']);
    const t0 = performance.now();
    await timed.firstLine();
    expect(await timed.done).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('draws a status line on a terminal', async () => {
    const mem = memoryIo();
    Object.assign(mem.stdout, { isTTY: true });
    const done = sinkCommand(['--listen', '127.0.0.1:0', '--duration', '1200ms'], mem.io, new Printer(mem.stdout, mem.stderr, palette(0)));
    expect(await done).toBe(0);
    expect(mem.out()).toMatch(/\r\x1b\[Kaccepted 0 {2}temp-failed 0 {2}rejected 0 {2}dropped 0 {2}0 accepted\/s {2}0 open/);
    expect(mem.out()).toContain('sink summary');
  });

  it('the summary agrees counts with their nouns: 1 message, 2 messages', () => {
    const sink = { protocol: 'SMTP' } as SinkHandle;
    const base = { connections: 1, tempFailed: 0, rejected: 0, bytes: 5, authFailed: 0, seconds: 2, activeSeconds: 1, messagesPerSecond: 1 };
    const one = formatSinkSummary('127.0.0.1:2525', sink, { ...base, accepted: 1, recipients: 1, dropped: 1 }).join('\n');
    expect(one).toMatch(/^ {2}accepted {6}1 message, 1 recipient$/m);
    expect(one).toMatch(/^ {2}dropped {7}1 connection cut mid-DATA$/m);
    expect(one).toMatch(/^ {2}rate {10}1 accepted messages\/s /m);
    const many = formatSinkSummary('127.0.0.1:2525', sink, { ...base, accepted: 2000, recipients: 0, dropped: 2 }).join('\n');
    expect(many).toMatch(/^ {2}accepted {6}2,000 messages, 0 recipients$/m);
    expect(many).toMatch(/^ {2}dropped {7}2 connections cut mid-DATA$/m);
  });

  it('the status line\'s rate counts accepted messages only: refusals are not throughput', async () => {
    const stats = new SinkStats();
    const meter = new RateMeter(stats);
    for (let i = 0; i < 50; i++) stats.finished(554, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(meter.sample()).toBe(0);
    for (let i = 0; i < 50; i++) stats.finished(250, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(meter.sample()).toBeGreaterThan(0);
  });

  it.each([
    [['--fail-rate', '2'], /--fail-rate 2 must be a number from 0 to 1/],
    [['--fail-code', '250'], /--fail-code 250 must be/],
    [['--listen', 'nowhere:99999'], /out of range/],
    [['--delay', 'soon'], /--delay soon is not a time/],
    [['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], /cannot read --tls-cert/],
    [['--tls-cert', '/nonexistent.pem'], /go together/],
    [['--auth', 'nocolon'], /USER:PASS/],
    [['--fial-rate', '1'], /did you mean --fail-rate\?\); run mailprobe sink --help/],
    [['extra'], /unexpected argument/],
  ])('refuses %j with a usage error', async (args, message) => {
    const run = runSinkCommand(args);
    expect(await run.done).toBe(2);
    expect(run.err()).toMatch(message);
  });

  it('explains itself with --help', async () => {
    const run = runSinkCommand(['-help']);
    expect(await run.done).toBe(0);
    for (const flag of ['--listen', '--tls-self-signed', '--fail-rate', '--disconnect-rate', '--max-size', '--count', '--json']) expect(run.out()).toContain(flag);
  });

  it('saves with --save, and a busy port is a clear error', async () => {
    const dir = join(tempDir(), 'new', 'dir');
    const run = runSinkCommand(['--listen', '127.0.0.1:0', '--save', dir, '--count', '1']);
    const first = await run.firstLine();
    const busy = runSinkCommand(['--listen', first.split(' ')[2]]);
    expect(await busy.done).toBe(4);
    expect(busy.err()).toMatch(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    const c = await LineClient.connect(portOf(first));
    clients.push(c);
    await c.line();
    await c.command('HELO client.test');
    c.write(transaction('saved\r\n'));
    expect(await run.done).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(dir, files[0]), 'latin1')).toBe('saved\r\n');
  });
});

// ---- The command as its own process ----

/** The sink as a child process, stdout streamed so the port can be read from its first line. */
function spawnSink(args: string[]): { child: ChildProcessWithoutNullStreams; firstLine: Promise<string>; result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, 'sink', ...args], { env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  let gotLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => (gotLine = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('\n')) gotLine(stdout.slice(0, stdout.indexOf('\n')));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      gotLine(stdout);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, firstLine, result };
}

describe('mailprobe sink (child process)', () => {
  it('STARTTLS with --tls-self-signed, AUTH after TLS, --count 1 --json', async () => {
    const run = spawnSink(['--listen', '127.0.0.1:0', '--tls-self-signed', '--auth', 'u:p', '--count', '1', '--json']);
    const first = await run.firstLine;
    expect(first).toMatch(/^listening on 127\.0\.0\.1:\d+ \(SMTP, STARTTLS\)$/);
    const c = await LineClient.connect(portOf(first));
    clients.push(c);
    await c.line();
    await c.command('EHLO client.test');
    expect(await c.command('STARTTLS')).toMatch(/^220 /);
    const secure = c.socket;
    // The certificate is made fresh; trust it as the client would after checking it.
    const upgraded = tlsConnect({ socket: secure, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve) => upgraded.once('secureConnect', resolve));
    const cert = upgraded.getPeerCertificate();
    expect(cert.subject.CN).toBe('localhost');
    expect(cert.subjectaltname).toContain('IP Address:127.0.0.1');
    upgraded.destroy();
    const d = await LineClient.connect(portOf(first));
    clients.push(d);
    await d.line();
    await d.command('EHLO client.test');
    await d.command('STARTTLS');
    const pemCert = `-----BEGIN CERTIFICATE-----\n${cert.raw.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
    expect(await d.upgrade(pemCert, 'localhost')).toBe(true);
    d.write('EHLO client.test\r\n');
    expect((await d.reply()).map((line) => line.slice(4))).toContain('AUTH PLAIN LOGIN');
    expect(await d.command(`AUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}`)).toMatch(/^235 /);
    d.write(transaction('over tls\r\n'));
    const { code, stdout, stderr } = await run.result;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n')[1])).toMatchObject({ starttls: true, accepted: 1, connections: 2, stoppedBy: 'count' });
  });

  it('prints the summary on SIGINT and exits 0', async () => {
    const run = spawnSink(['--listen', '127.0.0.1:0']);
    const first = await run.firstLine;
    const c = await LineClient.connect(portOf(first));
    clients.push(c);
    await c.line();
    await c.command('EHLO client.test');
    expect(await send(c, 'x\r\n')).toMatch(/queued as/);
    run.child.kill('SIGINT');
    const line = await c.line().catch(() => 'closed');
    expect(line).toMatch(/^421 |closed/);
    const { code, stdout } = await run.result;
    expect(code).toBe(0);
    expect(stdout).toMatch(/accepted +1 message, 1 recipient$/m);
    expect(stdout).toMatch(/connections +1/);
  });
});
