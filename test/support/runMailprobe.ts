// Runs the built mailprobe as a user would: a child process, stdin from a string or
// a pipe kept open, stdout and stderr collected, the exit code returned.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { inputOf } from './childInput.js';

export const BIN = fileURLToPath(new URL('../../bin/mailprobe.cjs', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as raw bytes, to check nothing raw slipped through. */
  stdoutBytes: Buffer;
  peakRssKb?: number;
}

export interface RunOptions {
  input?: string | Buffer;
  /** Standard input redirected from this file (as `mailprobe ... < file`), not a pipe. */
  inputFile?: string;
  /** `input` through a shell pipe (`cat | mailprobe ...`): a FIFO, not the socket Node gives a child. */
  shellPipe?: boolean;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Keep stdin open until the process ends (no end of input). */
  holdStdin?: boolean;
  /** Give `input` only once stdout matches this, as a person types after reading the screen. */
  typeAfter?: RegExp;
  /** Measure the peak resident memory (GNU time); the result then has peakRssKb. */
  measureMemory?: boolean;
  /** Sees stdout as it comes (e.g. to read the port a server prints first). */
  onStdout?: (chunk: Buffer) => void;
}

export function runMailprobe(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env = { ...process.env, NO_COLOR: '1', ...options.env };
  delete env.FORCE_COLOR;
  if (options.env?.FORCE_COLOR) env.FORCE_COLOR = options.env.FORCE_COLOR;
  // GNU time reports the child's peak RSS on a file of its own, so stderr stays mailprobe's.
  const rssFile = options.measureMemory ? `${tmpdir()}/mailprobe-rss-${process.pid}-${Math.random().toString(36).slice(2)}` : undefined;
  const run = rssFile ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  const command = options.shellPipe ? ['/bin/sh', '-c', 'cat | "$0" "$@"', ...run] : run;
  const fd = options.inputFile ? openSync(options.inputFile, 'r') : undefined;
  const child = spawn(command[0], command.slice(1), { env, stdio: [fd ?? 'pipe', 'pipe', 'pipe'] });
  if (fd !== undefined) closeSync(fd);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdin = inputOf(child);
  const type = () => {
    if (options.input !== undefined) stdin?.write(options.input);
    if (!options.holdStdin) stdin?.end();
  };
  let waitingToType = options.typeAfter;
  child.stdout.on('data', (c: Buffer) => {
    out.push(c);
    options.onStdout?.(c);
    if (waitingToType?.test(Buffer.concat(out).toString('utf8'))) {
      waitingToType = undefined;
      type();
    }
  });
  child.stderr.on('data', (c: Buffer) => err.push(c));
  if (!waitingToType) type();
  const limit = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mailprobe ${args.join(' ')} did not finish within ${limit} ms; stdout so far:\n${Buffer.concat(out).toString()}\nstderr:\n${Buffer.concat(err).toString()}`));
    }, limit);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      const peakRssKb = rssFile ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : undefined;
      if (rssFile) rmSync(rssFile, { force: true });
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes, peakRssKb });
    });
  });
}
