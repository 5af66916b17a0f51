// Every command's help against what the command does: each flag's every spelling is listed
// (and accepted), and each exit code the command returns is one its help lists.
import { createServer, type Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CERT_FLAGS, CHECK_FLAGS, SESSION_FLAGS, type FlagSpec } from '../../src/cli/flags.js';
import { LOAD_FLAGS } from '../../src/cli/load.js';
import { main, type MainIo } from '../../src/cli/main.js';
import { normaliseArgv } from '../../src/cli/normalise.js';
import { SINK_FLAGS } from '../../src/cli/sink.js';
import { runMailprobe } from '../support/runMailprobe.js';

async function helpOf(argv: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const io: MainIo = { stdin: new PassThrough(), stdout, stderr, env: { NO_COLOR: '1' } };
  expect(await main(argv, io)).toBe(0);
  return out;
}

const HELPS: [string, string[], FlagSpec[]][] = [
  ['the session', ['-help'], SESSION_FLAGS],
  ['check', ['check', '--help'], CHECK_FLAGS],
  ['cert', ['cert', '--help'], CERT_FLAGS],
  ['load', ['load', '--help'], LOAD_FLAGS],
  ['sink', ['sink', '--help'], SINK_FLAGS],
];

describe('help lists every spelling of every flag', () => {
  it.each(HELPS)('%s', async (_, argv, flags) => {
    const help = await helpOf(argv);
    for (const flag of flags) {
      // The session spells names as openssl does (-verify_return_error), the subcommands
      // GNU-style (--warn-days); aliases are -x when one letter long, else --alias.
      const name = argv[0] === '-help' ? `-${flag.name}` : `--${flag.name.replace(/_/g, '-')}`;
      const spellings = [name, ...(flag.aliases ?? []).map((alias) => (alias.length === 1 ? `-${alias}` : `--${alias}`))];
      // A row: "  -c, --connections N      help", the help on the next line when the left is long.
      const rows = help.split('\n').filter((line) => line.startsWith('  -')).map((line) => line.slice(2).split(/ {2,}/)[0].split(/,? /));
      const row = rows.find((words) => words.includes(name));
      expect(row, `${argv.join(' ')}: no row for ${name}`).toBeDefined();
      for (const spelling of spellings) {
        expect(row, `${argv.join(' ')}: ${name}`).toContain(spelling);
        // What help shows is what the parser takes.
        expect(normaliseArgv([spelling, ...(flag.value ? Array(flag.count ?? 1).fill('x') : [])], flags)[0]).toBe(`--${flag.name}`);
      }
    }
  });
});

/** The exit codes a help text lists: "Exit codes: 0 ..., 2 ...; 13 ...", "Exit code 0." or a table of "  130  ...". */
function listedCodes(help: string): Set<number> {
  const at = help.indexOf('Exit code');
  if (at < 0) return new Set();
  const section = help.slice(at).split(/\n\n/)[0];
  return new Set([...section.matchAll(/(?:^Exit codes? |[:;,]\s*|\n\s*)(\d{1,3})(?=[\s.])/g)].map((match) => Number(match[1])));
}

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

const portOf = (server: Server) => (server.address() as { port: number }).port;

describe('exit codes', () => {
  it('every exit code a command returns is listed in its help', { timeout: 120_000 }, async () => {
    const busy = await listen();
    const gone = await listen();
    const refused = `127.0.0.1:${portOf(gone)}`; // a loopback port nobody listens on
    await new Promise((resolve) => gone.close(resolve));
    const sessionHelp = await helpOf(['-help']);
    /**
     * Per command: how to provoke each outcome practical to provoke here, and the codes
     * returned that are provoked elsewhere (the test named after each).
     */
    const commands: { help: string[]; provoke: string[][]; elsewhere: number[] }[] = [
      // 130: a session's Ctrl-C (pty/passwordPrompt.test.ts); 13: hostile/credentialPolicy.test.ts.
      { help: ['-help'], provoke: [['-bogus'], ['-connect', refused, '-plain']], elsewhere: [130, 13] },
      // 1 warnings, 2 failures: fake/check.test.ts.
      { help: ['check', '--help'], provoke: [['check'], ['check', '--bogus'], ['check', refused, '--tls', '--no-versions']], elsewhere: [1, 2, 13] },
      // 8, --verify-return-error, needs a TLS server (the session's: fake/certificates.test.ts).
      { help: ['cert', '--help'], provoke: [['cert', '--bogus'], ['cert', refused, '--tls']], elsewhere: [8] },
      // 2 refusals, 130 Ctrl-C: fake/load.test.ts; 13: hostile/credentialPolicy.test.ts.
      { help: ['load', '--help'], provoke: [['load'], ['load', '--bogus'], ['load', refused, '-plain', '-n', '1']], elsewhere: [2, 13, 130] },
      // 0 on Ctrl-C, --count and --duration: fake/sink.test.ts.
      { help: ['sink', '--help'], provoke: [['sink', '--bogus'], ['sink', '--listen', `127.0.0.1:${portOf(busy)}`], ['sink', '--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.pem']], elsewhere: [0] },
    ];
    // send: every stage's code is provoked in fake/send.test.ts and real/send.test.ts.
    commands.push({ help: ['send', '--help'], provoke: [['send'], ['send', '--bogus'], ['send', '--to', 'probe@example.org', '--server', refused]], elsewhere: [3, 5, 6, 7, 9, 10, 12, 13, 21, 22, 23, 24, 25, 26] });
    // demo's help defers to the session's list, like cert's; a bad demo name is a usage error.
    commands.push({ help: ['demo', '--help'], provoke: [['demo', 'bogus']], elsewhere: [] });
    try {
      for (const command of commands) {
        const help = await runMailprobe(command.help);
        expect(help.code).toBe(0);
        const listed = listedCodes(help.stdout);
        // cert's help defers to the session's list.
        if (/as for a session/.test(help.stdout)) for (const code of listedCodes(sessionHelp)) listed.add(code);
        expect(listed.size, `${command.help.join(' ')} lists no exit codes`).toBeGreaterThan(0);
        for (const argv of command.provoke) {
          const result = await runMailprobe(argv, { timeoutMs: 30_000 });
          expect([...listed], `mailprobe ${argv.join(' ')} exited ${result.code}: ${result.stderr}`).toContain(result.code);
        }
        for (const code of command.elsewhere) expect([...listed], `${command.help.join(' ')} does not list ${code}`).toContain(code);
      }
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
