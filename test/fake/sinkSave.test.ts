// `mailprobe sink --save DIR` streams each message to a temporary file while it arrives and
// renames it to DIR/<queue id>.eml only once it is accepted. The hazards: a big message held
// in memory, a disk slower than the client, a half-written file left behind by a message cut
// off or refused, and a disk that fails mid-message.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, createReadStream, mkdirSync, mkdtempSync, openSync, promises as fsp, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startSink, type SinkHandle, type SinkOptions } from '../../src/sink/index.js';
import { BIN, runMailprobe } from '../support/runMailprobe.js';

const MiB = 1024 * 1024;

// ---- A client that can stream ----

class Client {
  private text = '';
  private lines: string[] = [];
  private wake?: () => void;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.text += chunk.toString('latin1');
      for (let lf = this.text.indexOf('\n'); lf >= 0; lf = this.text.indexOf('\n')) {
        this.lines.push(this.text.slice(0, lf).replace(/\r$/, ''));
        this.text = this.text.slice(lf + 1);
      }
      this.wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static async open(port: number): Promise<Client> {
    const socket = netConnect({ port, host: '127.0.0.1' });
    await once(socket, 'connect');
    const client = new Client(socket);
    clients.push(client);
    expect(await client.line()).toMatch(/^220 /);
    expect(await client.command('EHLO client.test')).toMatch(/^250 /);
    return client;
  }

  /** The last line of the next whole reply. */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.lines.findIndex((line) => /^\d{3}(?: |$)/.test(line));
      if (end >= 0) return this.lines.splice(0, end + 1)[end];
      if (this.closed) throw new Error(`connection closed; lines so far: ${JSON.stringify(this.lines)}`);
      if (Date.now() > deadline) throw new Error(`no reply within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  async command(text: string): Promise<string> {
    this.socket.write(`${text}\r\n`);
    return this.line();
  }

  /** MAIL, RCPT, DATA; resolves at the 354. */
  async startData(): Promise<void> {
    this.socket.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\n');
    expect([await this.line(), await this.line(), await this.line()].map((line) => line.slice(0, 3))).toEqual(['250', '250', '354']);
  }

  /** Writes, waiting for the socket to take more when its buffer is full. */
  async send(data: Buffer | string): Promise<void> {
    if (!this.socket.write(data)) await once(this.socket, 'drain');
  }
}

// ---- Message content: generated as it is sent, hashed as the sink must keep it ----

// Lines that start with a dot go out doubled ("..") and must be kept with one.
const LINES = Array.from({ length: 1500 }, (_, i) => (i % 9 === 0 ? `.line ${i} starts with a dot\r\n` : `line ${i} ${'x'.repeat(i % 90)}\r\n`)).join('');
const KEPT = Buffer.from(LINES, 'latin1');
const DATA_WIRE = Buffer.from(LINES.replace(/^\./gm, '..'), 'latin1');

/**
 * DATA content made while it is sent, dot-stuffed, never held whole: blocks of the lines above,
 * each headed by its number (blocks out of order change the hash), hashed as the sink must keep them.
 */
class Content {
  private readonly hash = createHash('sha256');
  /** Bytes the sink must keep, so far. */
  size = 0;
  private block = 0;

  /** Sends whole blocks until `bytes` have been sent in all. */
  async sendUpTo(c: Client, bytes: number): Promise<this> {
    while (this.size < bytes) {
      const head = Buffer.from(`block ${this.block++}\r\n`);
      this.hash.update(head).update(KEPT);
      this.size += head.length + KEPT.length;
      await c.send(head);
      await c.send(DATA_WIRE);
    }
    return this;
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// ---- Helpers ----

let sinks: SinkHandle[] = [];
let clients: Client[] = [];
const dirs: string[] = [];

async function sink(options: SinkOptions): Promise<SinkHandle> {
  const handle = await startSink({ port: 0, hostname: 'sink.test', ...options });
  sinks.push(handle);
  return handle;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-save-'));
  dirs.push(dir);
  return dir;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const temps = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.tmp'));
const queuedAs = (line: string) => /queued as (\w+)$/.exec(line)?.[1];

afterEach(async () => {
  for (const c of clients) c.socket.destroy();
  clients = [];
  await Promise.all(sinks.map((handle) => handle.close(0)));
  sinks = [];
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// ---- A big message through the built command ----

describe('sink --save: a big message', () => {
  it('streams 200 MB to disk byte for byte while the sink process stays under 150 MB', async () => {
    const dir = tempDir();
    let stdout = '';
    let gotPort: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => (gotPort = resolve));
    const run = runMailprobe(['sink', '--listen', '127.0.0.1:0', '--save', dir, '--max-size', '300m', '--count', '1', '--json'], {
      measureMemory: true,
      timeoutMs: 60_000,
      onStdout: (chunk) => {
        stdout += chunk.toString();
        const match = /^listening on [^\n]*:(\d+) \(/.exec(stdout);
        if (match) gotPort(Number(match[1]));
      },
    });
    const c = await Client.open(await Promise.race([port, run.then((result) => Promise.reject(new Error(`the sink ended: ${result.stderr}`)))]));
    await c.startData();
    const sent = await new Content().sendUpTo(c, 200 * MiB);
    await c.send('.\r\n');
    const id = queuedAs(await c.line(30_000));
    c.socket.end('QUIT\r\n');
    const result = await run;
    console.log(`sink --save: ${Math.round(sent.size / MiB)} MB message, sink peak RSS ${Math.round(result.peakRssKb! / 1024)} MB`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toMatchObject({ accepted: 1, bytes: sent.size, stoppedBy: 'count' });
    expect(readdirSync(dir)).toEqual([`${id}.eml`]);
    const file = join(dir, `${id}.eml`);
    expect(statSync(file).size).toBe(sent.size);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await sha256Of(file)).toBe(sent.sha256());
    expect(result.peakRssKb).toBeLessThan(150 * 1024);
  }, 60_000);
});

// ---- A disk slower than the client ----

/**
 * Holds every libuv thread-pool thread in an open() of a FIFO no one writes to, so every file
 * operation (the sink's writes included) waits: a disk that has stopped. Returns the release.
 */
async function stallDisk(): Promise<() => Promise<void>> {
  const dir = tempDir();
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4;
  const fifos = Array.from({ length: threads }, (_, i) => join(dir, `fifo${i}`));
  for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
  const readers = fifos.map((fifo) => fsp.open(fifo, 'r'));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return async () => {
    for (const fifo of fifos) {
      // Non-blocking, so a reader not yet in its open() means a retry, not a hung test.
      for (;;) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }
    for (const handle of await Promise.all(readers)) await handle.close();
  };
}

describe('sink --save: a slow disk', () => {
  it('stops reading the client while 256 KiB wait for the disk, then saves the whole message', async () => {
    const dir = tempDir();
    const handle = await sink({ saveDir: dir, maxSize: 100 * MiB });
    const c = await Client.open(handle.port);
    await c.startData();
    const content = new Content();
    // The file is open and being written before the disk stops.
    await content.sendUpTo(c, MiB);
    await until(() => handle.stats.bytes === content.size && temps(dir).length === 1, 'the first MiB is read');
    const before = handle.stats.bytes;
    const release = await stallDisk();
    const rest = content.sendUpTo(c, 24 * MiB);
    // The client fills the socket buffers and waits; the sink reads no more than its mark.
    let read = -1;
    let sent = 0;
    try {
      while (read !== handle.stats.bytes) {
        read = handle.stats.bytes;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      sent = content.size;
    } finally {
      await release(); // whatever is found, or the sink could never stop
    }
    expect(read - before).toBeLessThan(512 * 1024);
    expect(sent).toBeGreaterThan(read); // the client is ahead: TCP holds the rest
    expect(sent).toBeLessThan(24 * MiB);
    await rest;
    await c.send('.\r\n');
    const id = queuedAs(await c.line());
    expect(readdirSync(dir)).toEqual([`${id}.eml`]);
    expect(statSync(join(dir, `${id}.eml`)).size).toBe(content.size);
    expect(await sha256Of(join(dir, `${id}.eml`))).toBe(content.sha256());
  });
});

// ---- Nothing half-written left behind ----

describe('sink --save: messages that are not accepted leave no file', () => {
  it('a client gone mid-DATA, and one still mid-DATA when the sink stops', async () => {
    const dir = tempDir();
    const handle = await sink({ saveDir: dir });
    const c = await Client.open(handle.port);
    await c.startData();
    await new Content().sendUpTo(c, MiB);
    await until(() => temps(dir).length === 1, 'the message is being written');
    c.socket.destroy();
    await until(() => readdirSync(dir).length === 0, 'the temporary file is removed');
    // The sink goes on; a message still coming when it stops goes too.
    const d = await Client.open(handle.port);
    await d.startData();
    await new Content().sendUpTo(d, MiB);
    await until(() => temps(dir).length === 1, 'the message is being written');
    await handle.close(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a message over --max-size stops going to disk at the limit, and its 552 needs no RSET', async () => {
    const dir = tempDir();
    const handle = await sink({ saveDir: dir, maxSize: 2 * MiB });
    const c = await Client.open(handle.port);
    await c.startData();
    await new Content().sendUpTo(c, MiB);
    await until(() => temps(dir).length === 1, 'the message is being written');
    await new Content().sendUpTo(c, 2 * MiB);
    await until(() => readdirSync(dir).length === 0, 'the file is removed before the message ends');
    await c.send('.\r\n');
    expect(await c.line()).toMatch(/^552 5\.3\.4 /);
    // BDAT too, then the next message on the same connection, without RSET.
    c.socket.write(`MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT ${MiB}\r\n`);
    await c.send(Buffer.alloc(MiB, 'a'));
    for (let i = 0; i < 3; i++) await c.line();
    await until(() => temps(dir).length === 1, 'the chunked message is being written');
    c.socket.write(`BDAT ${2 * MiB} LAST\r\n`);
    await c.send(Buffer.alloc(2 * MiB, 'b'));
    expect(await c.line()).toMatch(/^552 5\.3\.4 /);
    c.socket.write('MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nDATA\r\nnext\r\n.\r\n');
    for (let i = 0; i < 3; i++) await c.line();
    const id = queuedAs(await c.line());
    await handle.close(0);
    expect(readdirSync(dir)).toEqual([`${id}.eml`]);
    expect(readFileSync(join(dir, `${id}.eml`), 'latin1')).toBe('next\r\n');
  });

  it('RSET, EHLO or QUIT between BDAT chunks, and --fail-rate, leave no file', async () => {
    const dir = tempDir();
    const handle = await sink({ saveDir: dir });
    const c = await Client.open(handle.port);
    for (const end of ['RSET', 'EHLO client.test']) {
      c.socket.write(`MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT 5\r\nhello`);
      for (let i = 0; i < 3; i++) await c.line();
      await until(() => temps(dir).length === 1, 'the chunked message is being written');
      expect(await c.command(end)).toMatch(/^250 /);
      await until(() => readdirSync(dir).length === 0, `the file is removed after ${end}`);
    }
    c.socket.write(`MAIL FROM:<a@test>\r\nRCPT TO:<b@test>\r\nBDAT 5\r\nhello`);
    for (let i = 0; i < 3; i++) await c.line();
    expect(await c.command('QUIT')).toMatch(/^221 /);
    await until(() => readdirSync(dir).length === 0, 'the file is removed after QUIT');

    const failing = await sink({ saveDir: dir, failRate: 1 });
    const d = await Client.open(failing.port);
    await d.startData();
    await new Content().sendUpTo(d, MiB);
    await d.send('.\r\n');
    expect(await d.line()).toMatch(/^451 4\.3\.0 Injected failure/);
    await failing.close(0);
    expect(readdirSync(dir)).toEqual([]);
  });
});

// ---- A disk that fails ----

describe('sink --save: a failing disk', () => {
  it('answers 451 when DIR is removed mid-message, and goes on with the next connection', async () => {
    const dir = join(tempDir(), 'saved');
    const handle = await sink({ saveDir: dir });
    const c = await Client.open(handle.port);
    await c.startData();
    await new Content().sendUpTo(c, MiB);
    await until(() => temps(dir).length === 1, 'the message is being written');
    rmSync(dir, { recursive: true });
    await new Content().sendUpTo(c, MiB);
    await c.send('.\r\n');
    expect(await c.line()).toBe('451 4.3.0 Error: could not save the message');
    // A new connection while DIR is missing: the message cannot even start its file.
    const d = await Client.open(handle.port);
    await d.startData();
    await d.send('missing\r\n.\r\n');
    expect(await d.line()).toBe('451 4.3.0 Error: could not save the message');
    mkdirSync(dir);
    const e = await Client.open(handle.port);
    await e.startData();
    await e.send('back\r\n.\r\n');
    const id = queuedAs(await e.line());
    expect(readdirSync(dir)).toEqual([`${id}.eml`]);
    expect(handle.stats.summary()).toMatchObject({ accepted: 1, tempFailed: 2 });
  });

  it('answers 451 to a message the disk took only part of (a file size limit), and goes on', async () => {
    const dir = tempDir();
    const limitKb = 1024;
    // bash counts ulimit -f in KiB; Node ignores SIGXFSZ, so a write past the limit is cut short.
    const child = spawn('bash', ['-c', `ulimit -f ${limitKb} && exec "$0" "$@"`, process.execPath, BIN, 'sink', '--listen', '127.0.0.1:0', '--save', dir], { env: { ...process.env, NO_COLOR: '1' } });
    const killed = once(child, 'close');
    try {
      let stdout = '';
      const [port] = await new Promise<[number]>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /^listening on [^\n]*:(\d+) \(/.exec(stdout);
          if (match) resolve([Number(match[1])]);
        });
        child.once('close', () => reject(new Error(`the sink ended: ${stdout}`)));
      });
      const c = await Client.open(port);
      await c.startData();
      // Up to just under the limit, written; then the last bytes in one write that crosses it.
      const first = Buffer.alloc(limitKb * 1024 - 10, 'a');
      await c.send(first);
      await until(() => temps(dir).length === 1 && statSync(join(dir, temps(dir)[0])).size === first.length, 'the first part is on disk');
      await c.send(`${'b'.repeat(20)}\r\n.\r\n`);
      expect(await c.line()).toBe('451 4.3.0 Error: could not save the message');
      await until(() => readdirSync(dir).length === 0, 'the partial file is removed');
      const d = await Client.open(port);
      await d.startData();
      await d.send('small\r\n.\r\n');
      const id = queuedAs(await d.line());
      expect(readdirSync(dir)).toEqual([`${id}.eml`]);
    } finally {
      child.kill('SIGINT');
      await killed;
    }
  });
});
