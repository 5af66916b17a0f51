// What a new user trips over first: a closed pipe, asking for help the way other tools
// take it, a mistyped command, a flag that belongs to another command.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fakeServer } from '../support/fakeServer.js';
import { BIN, runMailprobe } from '../support/runMailprobe.js';

describe('a closed standard output', () => {
  it('`mailprobe ... | head -3` stops quietly with 141, no error line', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      for (let i = 0; i < 20_000; i++) client.send(`250-line ${i} of a long reply that fills the pipe\r\n`);
      client.send('250 end\r\n');
      await client.line().catch(() => undefined);
    });
    try {
      const child = spawn(process.execPath, [BIN, '-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Like `head -3`: read a little, then close the pipe while mailprobe still writes.
      let seen = 0;
      child.stdout.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > 200) child.stdout.destroy();
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).not.toMatch(/unexpected error|EPIPE|bug in mailprobe/);
      expect(code).toBe(141);
    } finally {
      await server.close();
    }
  });
});

describe('help, the way other tools take it', () => {
  it.each([
    [['help'], /^Usage: mailprobe \[flags\] host\[:port\]/],
    [['help', 'check'], /^Usage: mailprobe check HOST/],
    [['demo', '--help'], /^Usage: mailprobe demo \[smtp \| imap \| pop3\]/],
    [['demo', '-h'], /^Usage: mailprobe demo/],
    [['-help'], /mailprobe demo \[smtp\|imap\|pop3\]/],
  ])('mailprobe %j', async (argv, text) => {
    const result = await runMailprobe(argv, { timeoutMs: 10_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(text);
  });
});

describe('mistakes get one line that says what to do', () => {
  it.each([
    [['chek', 'mx.example.com:25'], /^mailprobe: unknown command "chek" \(did you mean check\?\); the commands are check, cert/],
    [['loda', 'localhost:25'], /did you mean load\?/],
    [['cert', '--json', 'localhost:25'], /^mailprobe: unknown flag --json; run mailprobe cert --help for the list of flags$/m],
    [['check', '--warn-dys', '3', 'localhost:25'], /unknown flag --warn-dys \(did you mean --warn-days\?\); run mailprobe check --help/],
    [['-conect', 'localhost:25'], /unknown flag -conect \(did you mean -connect\?\); run mailprobe -help/],
    [['demo', 'bogus'], /^mailprobe: there is no bogus demo; choose smtp \(the default\), imap or pop3/],
  ])('mailprobe %j', async (argv, message) => {
    const result = await runMailprobe(argv, { timeoutMs: 10_000 });
    expect(result.code).toBe(argv[0] === 'check' ? 3 : 2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('words', () => {
  it('-timeout 0 says what to give', async () => {
    const result = await runMailprobe(['-connect', 'localhost:25', '-timeout', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mailprobe: -timeout 0 is not a time mailprobe can wait; give a number of seconds above 0/);
  });

  it(':decode of an AUTH PLAIN blob shows the text with its NULs escaped, not hex', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await client.line().catch(() => undefined);
      client.send('221 bye\r\n');
      client.end();
    });
    try {
      const blob = Buffer.from('\0mpuser\0mppass').toString('base64');
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-quiet'], { input: `:decode ${blob}\n` });
      expect(result.stdout).toContain('\\0mpuser\\0mppass');
      expect(result.stdout).not.toMatch(/binary:/);
    } finally {
      await server.close();
    }
  });
});
