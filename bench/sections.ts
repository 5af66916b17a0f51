// The benchmark sections besides the scripted session: throughput of a 100 MB DATA,
// `mailprobe load` against Postfix's smtp-source, `mailprobe sink` against smtp-sink,
// and peak memory of `load` at 1,000 connections. Each returns Markdown lines.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createWriteStream, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../test/support/realServers.js';

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command and times it. `stdinFile` is given as standard input: redirected from the
 * file (as `tool < file`), or through a pipe from cat (as `cat file | tool`).
 */
export function timed(command: string[], options: { stdinFile?: string; stdinVia?: 'file' | 'pipe'; env?: NodeJS.ProcessEnv } = {}): Promise<Timed> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let stdin: 'ignore' | number | Readable = 'ignore';
    let fd: number | undefined;
    if (options.stdinFile && options.stdinVia === 'pipe') {
      stdin = spawn('cat', [options.stdinFile], { stdio: ['ignore', 'pipe', 'ignore'] }).stdout as Readable;
    } else if (options.stdinFile) {
      stdin = fd = openSync(options.stdinFile, 'r');
    }
    const child = spawn(command[0], command.slice(1), { stdio: [stdin, 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    if (fd !== undefined) closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, code, stdout, stderr }));
  });
}

/**
 * Runs every variant `rounds` times, one of each per round, the order turned by one each
 * round: no variant always goes first, or always after the same one (a server warmed or
 * loaded by the run before, the page cache, the CPU's clock).
 */
export async function interleaved<T>(rounds: number, variants: readonly T[], run: (variant: T, index: number) => Promise<void>): Promise<void> {
  await groupedRounds(rounds, variants.map((variant, index) => [{ variant, index }]), ({ variant, index }) => run(variant, index));
}

/**
 * Rounds of groups of variants: the groups' order turned by one each round (interleaved() is
 * this with groups of one), and a group's variants run back to back, their order reversed
 * every other round. A tool and its floor make a group: on this machine the same run of
 * 20,000 connections takes 2.6 s at one time and 4.4 s minutes later (the VM's CPU, the
 * server's state), so a pair run side by side meets the same conditions, and the ratio is
 * taken per round. Even so, single rounds range widely: results give the lowest and highest.
 *
 * No variant runs straight after itself. A server fed twice in a row was 3-11% slower the
 * second time (20 rounds of 5,000 connections, mailprobe sink and the floor alike), and
 * turning and reversing alone put the same variant at both ends of a round boundary (…C | C…):
 * there the round starts with its second group instead (a lone group keeps its order).
 */
export async function groupedRounds<T>(rounds: number, groups: readonly (readonly T[])[], run: (variant: T) => Promise<void>): Promise<void> {
  for (const variant of roundOrder(rounds, groups)) await run(variant);
}

/** The order groupedRounds runs its variants in (exported for its test). */
export function roundOrder<T>(rounds: number, groups: readonly (readonly T[])[]): T[] {
  const order: T[] = [];
  for (let round = 0; round < rounds; round++) {
    let turned = groups.map((_, k) => groups[(round + k) % groups.length]);
    let reversed = round % 2 === 1;
    const sequence = () => turned.flatMap((group) => (reversed ? [...group].reverse() : group));
    if (order.length > 0 && sequence()[0] === order[order.length - 1]) {
      if (groups.length > 1) turned = [...turned.slice(1), turned[0]];
      else reversed = !reversed;
    }
    order.push(...sequence());
  }
  return order;
}

/** Each round's base[i] ÷ times[i] (a throughput ratio): their median, and the lowest and highest, as "0.97 (0.91–1.02)". */
export function pairedRatio(times: number[], base: number[]): string {
  const ratios = times.map((ms, i) => base[i] / ms);
  return `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Postfix's smtp-sink on a free port; as root it must drop to nobody. */
export async function startSmtpSink(): Promise<{ port: number; stop(): void }> {
  const port = await freePort();
  const child = spawn('/usr/sbin/smtp-sink', ['-u', 'nobody', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return { port, stop: () => child.kill('SIGTERM') };
}

/** `mailprobe sink` on a free port; resolves once it prints where it listens. */
export function startMailprobeSink(root: string, extra: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  return startListening([`${root}/bin/mailprobe.cjs`, 'sink', '--listen', '127.0.0.1:0', ...extra]);
}

/** The bare-Node receiver (bench/sinkFloor.mjs): the floor any Node sink can reach. */
export function startSinkFloor(root: string): Promise<{ port: number; stop(): Promise<void> }> {
  return startListening([`${root}/bench/sinkFloor.mjs`]);
}

function startListening(args: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve({ port: Number(match[1]), stop: () => new Promise((done) => { child.on('close', () => done()); child.kill('SIGINT'); }) });
    });
    child.on('close', () => reject(new Error(`${args.join(' ')} exited: ${out}`)));
  });
}

/** A session script: envelope, DATA, `megabytes` of 76-byte CRLF lines, the dot, QUIT. */
export function bigMessageScript(megabytes: number): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'mailprobe-bench-')), 'big.txt');
  const out = createWriteStream(path);
  const line = 'x'.repeat(74) + '\r\n';
  const block = line.repeat(1000);
  out.write('EHLO bench.test\r\nMAIL FROM:<a@bench.test>\r\nRCPT TO:<b@bench.test>\r\nDATA\r\n');
  const blocks = Math.ceil((megabytes * 1024 * 1024) / block.length);
  for (let i = 0; i < blocks; i++) out.write(block);
  out.write('.\r\nQUIT\r\n');
  return new Promise((resolve) => out.end(() => resolve(path)));
}

export function writeFile(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

export const has = (command: string) => spawnSync('which', [command]).status === 0;
