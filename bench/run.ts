// npm run bench: a scripted STARTTLS session (connect, STARTTLS, EHLO, QUIT) against a
// local Postfix, timed side by side in one run with openssl s_client, swaks and the bare
// Node floor; plus mailprobe's peak RSS. Medians and ratios go to bench/results.md.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makePki } from '../test/support/certs.js';
import { ensureMailServers, startPostfix } from '../test/support/realServers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

interface Tool {
  name: string;
  command: string[];
  input: string;
  env?: NodeJS.ProcessEnv;
}

function timeOnce(tool: Tool): Promise<{ ms: number; code: number | null; output: string }> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(tool.command[0], tool.command.slice(1), { env: { ...process.env, ...tool.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin.end(tool.input);
    child.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code, output }));
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function peakRssKb(command: string[], input: string, holdMs: number): number {
  // GNU time reports the maximum resident set size of the child.
  const script = `(sleep ${holdMs / 1000}; printf '${input.replace(/\n/g, '\\n')}') | /usr/bin/time -f 'RSS %M' ${command.map((c) => `'${c}'`).join(' ')} >/dev/null`;
  const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  const match = /RSS (\d+)/.exec(result.stderr);
  if (!match) throw new Error(`no RSS reading: ${result.stderr}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  const available = ensureMailServers();
  if (!available.ok) throw new Error(`benchmark needs Postfix: ${available.reason}`);
  const pki = makePki();
  const postfix = await startPostfix(pki);
  try {
    const port = String(postfix.smtp);
    const node = process.execPath;
    const mailprobe = [node, `${ROOT}/bin/mailprobe.cjs`, '-connect', `127.0.0.1:${port}`, '-starttls', 'smtp', '-name', 'bench.test', '-CAfile', pki.ca.cert, '-quiet'];
    const tools: Tool[] = [
      { name: 'bare Node floor', command: [node, `${ROOT}/bench/floor.mjs`, '127.0.0.1', port, pki.ca.cert], input: '' },
      { name: 'mailprobe', command: mailprobe, input: '' },
      {
        name: 'openssl s_client',
        command: ['openssl', 's_client', '-connect', `127.0.0.1:${port}`, '-starttls', 'smtp', '-name', 'bench.test', '-CAfile', pki.ca.cert, '-quiet', '-ign_eof', '-crlf'],
        input: 'EHLO bench.test\nQUIT\n',
      },
      { name: 'swaks', command: ['swaks', '--server', `127.0.0.1:${port}`, '--tls', '--quit-after', 'helo', '--helo', 'bench.test'], input: '' },
    ].filter((tool) => spawnSync('which', [tool.command[0]]).status === 0);

    // Check every tool really completes the dialogue before timing it.
    for (const tool of tools) {
      const check = await timeOnce(tool);
      if (check.code !== 0) throw new Error(`${tool.name} failed (exit ${check.code}):\n${check.output}`);
    }
    const times = new Map<string, number[]>(tools.map((t) => [t.name, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const tool of tools) times.get(tool.name)?.push((await timeOnce(tool)).ms); // interleaved runs
    }
    const noExtra = { name: 'mailprobe, NODE_EXTRA_CA_CERTS unset', command: mailprobe, input: '', env: { NODE_EXTRA_CA_CERTS: '' } };
    const floorNoExtra = { ...tools[0], name: 'bare Node floor, NODE_EXTRA_CA_CERTS unset', env: { NODE_EXTRA_CA_CERTS: '' } };
    for (const tool of [floorNoExtra, noExtra]) times.set(tool.name, []);
    for (let i = 0; i < RUNS; i++) {
      for (const tool of [floorNoExtra, noExtra]) times.get(tool.name)?.push((await timeOnce(tool)).ms);
    }

    const med = new Map([...times].map(([name, values]) => [name, median(values)]));
    const floor = med.get('bare Node floor') ?? NaN;
    const mine = med.get('mailprobe') ?? NaN;
    const rows = [...med].map(
      ([name, ms]) => `| ${name} | ${ms.toFixed(1)} | ${(ms / floor).toFixed(2)} | ${(mine / ms).toFixed(2)} |`,
    );
    const rss = peakRssKb([...mailprobe.slice(0, -1)], 'NOOP\\nQUIT\\n', 2000);
    const report = [
      '# mailprobe benchmarks',
      '',
      `Run ${new Date().toISOString()} on ${process.platform} ${process.arch}, Node ${process.version}, ${RUNS} interleaved runs per tool,`,
      `against a local Postfix (smtpd with STARTTLS) on 127.0.0.1. NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS ?? '(unset)'}.`,
      '',
      '## Scripted STARTTLS session: connect, EHLO, STARTTLS, EHLO, QUIT (wall time per process)',
      '',
      '| tool | median ms | ÷ bare Node floor | mailprobe ÷ tool |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
      '',
      `Target: mailprobe within 1.10× of the bare Node floor — measured ${(mine / floor).toFixed(2)}×; faster than swaks — measured ${(mine / (med.get('swaks') ?? NaN)).toFixed(2)}× of swaks.`,
      '',
      '## Peak memory',
      '',
      `| session | peak RSS |`,
      `| --- | ---: |`,
      `| mailprobe STARTTLS session held open 2 s (full report) | ${(rss / 1024).toFixed(1)} MB |`,
      '',
      'Target: under 60 MB.',
      '',
    ].join('\n');
    writeFileSync(`${ROOT}/bench/results.md`, report);
    process.stdout.write(report);
  } finally {
    await postfix.stop();
  }
}

await main();
