// Runs the built mailprobe as a user would: a child process, stdin from a string or
// a pipe kept open, stdout and stderr collected, the exit code returned.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/mailprobe.cjs', import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as raw bytes, to check nothing raw slipped through. */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Keep stdin open until the process ends (no end of input). */
  holdStdin?: boolean;
}

export function runMailprobe(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env = { ...process.env, NO_COLOR: '1', ...options.env };
  delete env.FORCE_COLOR;
  if (options.env?.FORCE_COLOR) env.FORCE_COLOR = options.env.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.on('error', () => {});
  if (options.input !== undefined) child.stdin.write(options.input);
  if (!options.holdStdin) child.stdin.end();
  const limit = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mailprobe ${args.join(' ')} did not finish within ${limit} ms; stdout so far:\n${Buffer.concat(out).toString()}\nstderr:\n${Buffer.concat(err).toString()}`));
    }, limit);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}
