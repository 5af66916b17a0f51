// npm run bench: a scripted STARTTLS session (connect, STARTTLS, EHLO, QUIT) against a
// local Postfix, timed side by side in one run with openssl s_client, swaks and the bare
// Node floor; plus mailprobe's peak RSS. Medians and ratios go to bench/results.md.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makePki } from '../test/support/certs.js';
import { ensureMailServers, startPostfix } from '../test/support/realServers.js';
import { bigMessageScript, groupedRounds, has, interleaved, median as medianOf, pairedRatio, startMailprobeSink, startSinkFloor, startSmtpSink, timed } from './sections.js';

const median = medianOf;

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
    await interleaved(RUNS, tools, async (tool) => void times.get(tool.name)?.push((await timeOnce(tool)).ms));
    const noExtra = { name: 'mailprobe, NODE_EXTRA_CA_CERTS unset', command: mailprobe, input: '', env: { NODE_EXTRA_CA_CERTS: '' } };
    const floorNoExtra = { ...tools[0], name: 'bare Node floor, NODE_EXTRA_CA_CERTS unset', env: { NODE_EXTRA_CA_CERTS: '' } };
    for (const tool of [floorNoExtra, noExtra]) times.set(tool.name, []);
    await interleaved(RUNS, [floorNoExtra, noExtra], async (tool) => void times.get(tool.name)?.push((await timeOnce(tool)).ms));

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
    const more = await otherSections();
    writeFileSync(`${ROOT}/bench/results.md`, report + more.join('\n') + '\n');
    process.stdout.write(report + more.join('\n') + '\n');
  } finally {
    await postfix.stop();
  }
}

/** Throughput, load, sink and memory at scale (needs smtp-source/smtp-sink and mailprobe sink). */
async function otherSections(): Promise<string[]> {
  const lines: string[] = [];
  const mailprobe = [process.execPath, `${ROOT}/bin/mailprobe.cjs`];
  // Rounds of the sections below: a run of load or sink moves by 5-10% from one to the next
  // on a small machine, so their medians need more rounds than a handful.
  const runs = Number(process.env.BENCH_SECTION_RUNS ?? Math.max(3, Math.floor(RUNS / 3)));
  // One message per connection moves most from round to round (single rounds from 0.77 to
  // 1.12 of the same floor): twice the rounds for the same precision.
  const perConnectionRuns = 2 * runs;
  // The issue's like-for-like run: 20 parallel sessions, 20,000 messages of 4 KiB.
  const N = Number(process.env.BENCH_MESSAGES ?? 20000);
  const C = String(process.env.BENCH_CONNECTIONS ?? 20);

  // 2. A 100 MB message through an interactive-mode session into DATA, vs s_client, with the
  // message on standard input both ways a user gives it: `< file` and `cat file |`.
  const megabytes = Number(process.env.BENCH_MEGABYTES ?? 100);
  const script = await bigMessageScript(megabytes);
  const sink = await startMailprobeSink(ROOT, ['--tls-self-signed', '--max-size', '500m']);
  try {
    const mbps = (ms: number) => (megabytes / (ms / 1000)).toFixed(1);
    const rows: string[] = [];
    const paired: string[] = [];
    // The same dialogue with an empty message: start-up, handshake and replies, which the
    // 100 MB run pays too; subtracting it leaves the time the content itself took.
    const empty = await bigMessageScript(0);
    const ourCommand = [...mailprobe, '-connect', `127.0.0.1:${sink.port}`, '-starttls', 'smtp', '-quiet'];
    const theirCommand = ['openssl', 's_client', '-connect', `127.0.0.1:${sink.port}`, '-starttls', 'smtp', '-quiet', '-ign_eof'];
    // The bare-Node floor: the same dialogue, then standard input piped into TLS unchecked.
    const floorCommand = [process.execPath, `${ROOT}/bench/dataFloor.mjs`, '127.0.0.1', String(sink.port)];
    for (const via of ['file', 'pipe'] as const) {
      const times = { ours: [] as number[], theirs: [] as number[], floor: [] as number[], oursEmpty: [] as number[], theirsEmpty: [] as number[], floorEmpty: [] as number[] };
      // mailprobe and the floor side by side in every round (groupedRounds), as in the load section.
      const groups = [
        [
          { name: 'mailprobe', command: ourCommand, input: script, into: times.ours },
          { name: 'bare Node floor', command: floorCommand, input: script, into: times.floor },
        ],
        [{ name: 's_client', command: theirCommand, input: script, into: times.theirs }],
        [
          { name: 'mailprobe, empty message', command: ourCommand, input: empty, into: times.oursEmpty },
          { name: 'bare Node floor, empty message', command: floorCommand, input: empty, into: times.floorEmpty },
        ],
        [{ name: 's_client, empty message', command: theirCommand, input: empty, into: times.theirsEmpty }],
      ];
      await groupedRounds(runs, groups, async ({ name, command, input, into }) => {
        const run = await timed(command, { stdinFile: input, stdinVia: via });
        if (run.code !== 0 || !/queued as/.test(run.stdout)) throw new Error(`${name} DATA run failed: ${run.stderr.slice(-500)}${run.stdout.slice(-500)}`);
        into.push(run.ms);
      });
      const input = via === 'file' ? '`< message`' : '`cat message |`';
      const ours = median(times.ours);
      const theirs = median(times.theirs);
      const bare = median(times.floor);
      const oursNet = ours - median(times.oursEmpty);
      const theirsNet = theirs - median(times.theirsEmpty);
      const bareNet = bare - median(times.floorEmpty);
      rows.push(
        `| ${input} | mailprobe | ${ours.toFixed(0)} | ${mbps(ours)} | 1.00 | ${oursNet.toFixed(0)} | ${mbps(oursNet)} | 1.00 |`,
        `| ${input} | openssl s_client | ${theirs.toFixed(0)} | ${mbps(theirs)} | ${(theirs / ours).toFixed(2)} | ${theirsNet.toFixed(0)} | ${mbps(theirsNet)} | ${(theirsNet / oursNet).toFixed(2)} |`,
        `| ${input} | bare Node floor | ${bare.toFixed(0)} | ${mbps(bare)} | ${(bare / ours).toFixed(2)} | ${bareNet.toFixed(0)} | ${mbps(bareNet)} | ${(bareNet / oursNet).toFixed(2)} |`,
      );
      // Each round's content-only times: its 100 MB run less its empty one.
      const net = (full: number[], none: number[]) => full.map((ms, i) => ms - none[i]);
      paired.push(`| ${input} | ${pairedRatio(times.ours, times.floor)} | ${pairedRatio(net(times.ours, times.oursEmpty), net(times.floor, times.floorEmpty))} |`);
    }
    lines.push(
      '',
      `## ${megabytes} MB message into DATA over STARTTLS, given on standard input (mailprobe sink as the server, ${runs} runs)`,
      '',
      'Whole run: wall time of the process, start-up and handshake included. Content only: the',
      'whole run less the median of the same dialogue with an empty message.',
      '',
      '| input | tool | whole run ms | MB/s | mailprobe ÷ tool (throughput) | content only ms | MB/s | mailprobe ÷ tool (throughput) |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      'mailprobe ÷ the bare Node floor (throughput), each round\'s pair run side by side: median of rounds (lowest–highest).',
      '',
      '| input | whole run | content only |',
      '| --- | ---: | ---: |',
      ...paired,
      '',
      'Targets: mailprobe throughput at least that of s_client, and at least 0.95× that of the bare Node floor',
      '(bench/dataFloor.mjs: the same dialogue, then standard input piped into TLS with no checks).',
    );
  } finally {
    await sink.stop();
  }

  if (!has('/usr/sbin/smtp-source')) return [...lines, '', 'smtp-source/smtp-sink not installed: load and sink comparisons skipped.'];
  // 3. mailprobe load vs smtp-source, both into Postfix smtp-sink.
  const postfixSink = await startSmtpSink();
  try {
    const rate = (ms: number) => (N / (ms / 1000)).toFixed(0);
    const rows: string[] = [];
    const target = `127.0.0.1:${postfixSink.port}`;
    for (const [label, reuse] of [['one message per connection', false], ['connections reused', true]] as const) {
      const perConn = reuse ? '1000000' : '1';
      // The same envelope and headers as the floor program (bench/loadFloor.mjs) sends.
      const load = (extra: string[]) => [...mailprobe, 'load', target, '-plain', '-c', C, '-n', String(N), '--size', '4k', '--per-conn', perConn, '--from', 'a@floor.test', '--to', 'b@floor.test', ...extra];
      const floorOf = (...extra: string[]) => [process.execPath, `${ROOT}/bench/loadFloor.mjs`, String(postfixSink.port), String(N), C, perConn, ...extra];
      // Each mailprobe row, its floor: the bare-Node program speaking the same dialogue.
      const DEFAULT = 'mailprobe load (the default: PIPELINING where offered, no RSET)';
      const PLAIN = 'mailprobe load --no-pipelining (the dialogue smtp-source speaks)';
      const PIPELINED_FLOOR = 'bare Node floor, PIPELINING (the default dialogue)';
      const PLAIN_FLOOR = 'bare Node floor, same dialogue as smtp-source';
      type Variant = [string, string[], string | undefined];
      // Each mailprobe row and its floor run side by side (groupedRounds).
      const groups: Variant[][] = [
        [[DEFAULT, load([]), PIPELINED_FLOOR], [PIPELINED_FLOOR, floorOf('pipelining'), PIPELINED_FLOOR]],
        [[PLAIN, load(['--no-pipelining']), PLAIN_FLOOR], [PLAIN_FLOOR, floorOf(), PLAIN_FLOOR]],
        [['smtp-source', ['/usr/sbin/smtp-source', ...(reuse ? ['-d'] : []), '-s', C, '-m', String(N), '-l', '4096', target], undefined]],
      ];
      const variants = groups.flat();
      const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
      await groupedRounds(reuse ? runs : perConnectionRuns, groups, async ([name, command]) => {
        const run = await timed(command);
        if (run.code !== 0) throw new Error(`${name} failed (exit ${run.code}): ${run.stdout}${run.stderr}`);
        times.get(name)?.push(run.ms);
      });
      const timesOf = (name: string) => times.get(name) ?? [];
      const theirs = median(timesOf('smtp-source'));
      for (const [name, , floorName] of variants) {
        const ms = median(timesOf(name));
        const floor = floorName ? `${pairedRatio(timesOf(name), timesOf(floorName))} | ${(median(timesOf(floorName)) / ms).toFixed(2)}` : '— | —';
        rows.push(`| ${label} | ${name} | ${rate(ms)} | ${(theirs / ms).toFixed(2)} | ${floor} |`);
      }
    }
    lines.push(
      '',
      `## mailprobe load vs smtp-source into Postfix smtp-sink (${N} messages of 4 KiB, ${C} connections, ${runs} rounds with connections reused and ${perConnectionRuns} with one message per connection, wall time per process)`,
      '',
      '| connections | sender | msg/s | ÷ smtp-source (throughput) | ÷ its bare Node floor, run beside it (median of rounds, lowest–highest) | ÷ its bare Node floor (ratio of medians) |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      'Each mailprobe row and its floor run back to back in every round, in turns; the first ratio to the floor',
      'is the median of the rounds\' ratios, the second the ratio of the two medians, which the drift between',
      'rounds moves more.',
      '',
      'Targets: every mailprobe row at least 0.95× the floor that speaks its dialogue (run beside it); the default dialogue at least 1.0× smtp-source -d (smtp-sink offers PIPELINING, not CHUNKING; smtp-source does not pipeline); the --no-pipelining row is the like-for-like dialogue.',
    );

    // Rate against connections: the default dialogue and smtp-source -d, connections reused.
    const sweep: string[] = [];
    for (const connections of ['1', '4', '20', '100']) {
      const ours: number[] = [];
      const theirs: number[] = [];
      const pair = [
        { command: [...mailprobe, 'load', target, '-plain', '-c', connections, '-n', String(N), '--size', '4k', '--per-conn', '1000000'], into: ours },
        { command: ['/usr/sbin/smtp-source', '-d', '-s', connections, '-m', String(N), '-l', '4096', target], into: theirs },
      ];
      await interleaved(3, pair, async ({ command, into }) => void into.push((await timed(command)).ms));
      sweep.push(`| ${connections} | ${rate(median(ours))} | ${rate(median(theirs))} | ${(median(theirs) / median(ours)).toFixed(2)} |`);
    }
    lines.push(
      '',
      `## Rate against connections (${N} messages of 4 KiB, connections reused, 3 interleaved runs)`,
      '',
      '| connections | mailprobe load msg/s | smtp-source -d msg/s | mailprobe ÷ smtp-source |',
      '| ---: | ---: | ---: | ---: |',
      ...sweep,
    );

    // Worker threads: the default dialogue, connections reused, over 1 and 2 threads, interleaved.
    const byWorkers = new Map<string, number[]>([['1', []], ['2', []]]);
    await interleaved(runs, [...byWorkers], async ([workers, times]) => void times.push((await timed([...mailprobe, 'load', target, '-plain', '-c', C, '-n', String(N), '--size', '4k', '--per-conn', '1000000', '--workers', workers])).ms));
    const oneThread = median(byWorkers.get('1') ?? []);
    const threads = [...byWorkers].map(([workers, times]) => `| load --workers ${workers} | ${rate(median(times))} | ${(oneThread / median(times)).toFixed(2)} |`);
    lines.push('', `## load over worker threads (${N} messages of 4 KiB, ${C} connections reused, ${runs} interleaved runs)`, '', '| run | msg/s | ÷ one thread (throughput) |', '| --- | ---: | ---: |', ...threads);

    // 5. Peak memory of load at 1,000 connections.
    const rss = spawnSync('/usr/bin/time', ['-f', '%M', ...mailprobe, 'load', `127.0.0.1:${postfixSink.port}`, '-plain', '-c', '1000', '-n', '2000', '--per-conn', '2', '--size', '1k'], { encoding: 'utf8' });
    const peak = Number(rss.stderr.trim().split('\n').pop());
    lines.push('', '## Peak memory of load at 1,000 connections', '', `| run | peak RSS |`, '| --- | ---: |', `| mailprobe load -c 1000 -n 2000 (exit ${rss.status}) | ${(peak / 1024).toFixed(1)} MB |`);
  } finally {
    postfixSink.stop();
  }

  // 4. mailprobe sink vs smtp-sink, both fed by smtp-source: a fresh server for every run
  // (start-up and a cold JIT included), and one server kept running, as a sink is used.
  const perSecond = (ms: number) => (N / (ms / 1000)).toFixed(0);
  const feed = (port: number) => timed(['/usr/sbin/smtp-source', '-d', '-s', C, '-m', String(N), '-l', '4096', `127.0.0.1:${port}`]);
  // One message per connection: smtp-source without -d.
  const feedOnePer = (port: number) => timed(['/usr/sbin/smtp-source', '-s', C, '-m', String(N), '-l', '4096', `127.0.0.1:${port}`]);
  // Times: mailprobe sink, smtp-sink, the bare-Node floor; mailprobe's and the floor's runs
  // side by side in every round (groupedRounds), as in the load section.
  const MINE = 0;
  const SMTP_SINK = 1;
  const FLOOR = 2;
  const pairs = [[MINE, FLOOR], [SMTP_SINK]];
  const fresh: number[][] = [[], [], []];
  const starts = [() => startMailprobeSink(ROOT, []), () => startSmtpSink(), () => startSinkFloor(ROOT)];
  await groupedRounds(runs, pairs, async (index) => {
    const server = await starts[index]();
    fresh[index].push((await feed(server.port)).ms);
    await server.stop();
  });
  const running: number[][] = [[], [], []];
  const onePer: number[][] = [[], [], []];
  const ours = await startMailprobeSink(ROOT, []);
  const theirs = await startSmtpSink();
  const floor = await startSinkFloor(ROOT);
  try {
    const ports = [ours.port, theirs.port, floor.port];
    for (const port of ports) await feed(port); // one untimed run each: the servers settle in
    await groupedRounds(runs, pairs, async (index) => void running[index].push((await feed(ports[index])).ms));
    await groupedRounds(perConnectionRuns, pairs, async (index) => void onePer[index].push((await feedOnePer(ports[index])).ms));
  } finally {
    await ours.stop();
    theirs.stop();
    await floor.stop();
  }
  const sinkRow = (label: string, times: number[][]) => {
    const [mine, theirs, bare] = times.map(median);
    return [
      `| ${label} | mailprobe sink | ${perSecond(mine)} | ${(theirs / mine).toFixed(2)} | ${pairedRatio(times[MINE], times[FLOOR])} | ${(bare / mine).toFixed(2)} |`,
      `| ${label} | smtp-sink | ${perSecond(theirs)} | 1.00 | — | ${(bare / theirs).toFixed(2)} |`,
      `| ${label} | bare Node floor | ${perSecond(bare)} | ${(theirs / bare).toFixed(2)} | 1.00 | 1.00 |`,
    ];
  };
  lines.push(
    '',
    `## mailprobe sink vs Postfix smtp-sink, fed by smtp-source (${N} messages of 4 KiB, ${C} parallel connections, ${runs} rounds, ${perConnectionRuns} with one message per connection)`,
    '',
    '| server | receiver | msg/s | ÷ smtp-sink (throughput) | ÷ bare Node floor, run beside it (median of rounds, lowest–highest) | ÷ bare Node floor (ratio of medians) |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...sinkRow('connections reused (-d), started fresh for each run', fresh),
    ...sinkRow('connections reused (-d), kept running (after one untimed run)', running),
    ...sinkRow('one message per connection, kept running', onePer),
    '',
    'Targets: mailprobe sink at least 1.0× smtp-sink with connections reused, and at least 0.95× the floor (run beside it).',
  );
  // Accepting processes: the sink kept running with 1 and 2 workers, fed as above, interleaved.
  const one = await startMailprobeSink(ROOT, ['--workers', '1']);
  const two = await startMailprobeSink(ROOT, ['--workers', '2']);
  const accepting: number[][] = [[], []];
  try {
    for (const server of [one, two]) await feed(server.port);
    await interleaved(runs, [one, two], async (server, index) => void accepting[index].push((await feed(server.port)).ms));
  } finally {
    await one.stop();
    await two.stop();
  }
  const [single, pair] = accepting.map(median);
  lines.push(
    '',
    `## sink over accepting processes (fed by smtp-source -d, ${N} messages, ${C} connections, ${runs} interleaved runs)`,
    '',
    '| run | msg/s | ÷ one process (throughput) |',
    '| --- | ---: | ---: |',
    `| sink --workers 1 | ${perSecond(single)} | 1.00 |`,
    `| sink --workers 2 | ${perSecond(pair)} | ${(single / pair).toFixed(2)} |`,
  );
  return lines;
}

await main();
