// mailprobe load against an in-process SMTP server that counts what arrives.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fakeServer, sleep } from '../support/fakeServer.js';
import { countingServer, fresh, readMessage, type Seen } from '../support/countingSmtp.js';
import { BIN, runMailprobe } from '../support/runMailprobe.js';

describe('mailprobe load', () => {
  it('sends the messages over the connections asked for, with unique headers and a shared body size', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '3', '-n', '30', '--per-conn', '4', '--size', '2k', '--json']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ accepted: 30, tempFailed: 0, rejected: 0, connectionsFailed: 0, connections: 3 });
      expect(summary.connectionsOpened).toBe(seen.connections);
      expect(seen.connections).toBeGreaterThanOrEqual(8); // 30 messages, at most 4 per connection
      expect(seen.quits).toBe(seen.connections); // never left half-open
      expect(seen.messages).toHaveLength(30);
      const ids = new Set(seen.messages.map((m) => m.headers.find((h) => h.startsWith('Message-ID:'))));
      expect(ids.size).toBe(30);
      expect(seen.messages.every((m) => m.bodyBytes === 2048)).toBe(true);
      // The default dialogue: no RSET after an accepted message (a new MAIL starts afresh).
      expect(seen.commands.filter((c) => c === 'RSET')).toHaveLength(0);
      expect(summary.latencyMs.message.count).toBe(30);
      expect(summary.latencyMs.message.p50).toBeGreaterThan(0);
      expect(summary.latencyMs.message.max).toBeGreaterThanOrEqual(summary.latencyMs.message.p99);
    } finally {
      await server.close();
    }
  });

  it('counts refusals by reply code, each with the reply the server gave, with several recipients and PIPELINING', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const bad = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '5', '--to', 'bad@x.test', '--pipelining', '--json']);
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.stdout)).toMatchObject({ accepted: 0, rejected: 5, failureCodes: { '550': 5 }, failureReplies: { '550': '550 5.1.1 no such user' } });
      const busy = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '4', '--to', 'busy@x.test', '--rcpts', '2']);
      expect(busy.code).toBe(2);
      expect(busy.stdout).toMatch(/^messages {5}4 sent: 0 accepted, 4 temp-failed, 0 rejected\n {2}4 × 451 4\.3\.0 try later$/m);
      // The reply is server text: escaped in the report like every other.
      const evil = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '3', '--to', 'evil@x.test']);
      expect(evil.stdout).toMatch(/^ {2}3 × 554 5\.7\.1 \\e\[2Jdenied$/m);
      expect(evil.stdout).not.toContain('\x1b');
      const multi = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '2', '--rcpts', '3', '--to', 'u@x.test']);
      expect(multi.code).toBe(0);
      expect(seen.messages.at(-1)?.headers).toContain('To: <u@x.test>, <u+2@x.test>, <u+3@x.test>');
    } finally {
      await server.close();
    }
  });

  it('the default: RSET only after a refused message, as smtp-source, PIPELINING where offered; --rset and --no-pipelining; the report says which dialogue ran', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const good = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '6', '--per-conn', '3']);
      expect(good.code).toBe(0);
      expect(seen.messages).toHaveLength(6);
      expect(seen.commands.filter((c) => c === 'RSET')).toHaveLength(0);
      expect(good.stdout).toMatch(/^dialogue {5}DATA \(CHUNKING not offered\), PIPELINING \(each envelope with the message before, QUIT with the last message\), RSET only after a refusal$/m);
      const rset = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '6', '--per-conn', '3', '--rset', '--no-pipelining', '--no-bdat']);
      expect(rset.stdout).toMatch(/^dialogue {5}DATA, one command at a time, RSET between messages$/m);
      // RSET between messages: not after a connection's last one, which QUIT follows.
      expect(seen.commands.filter((c) => c === 'RSET')).toHaveLength(4);
      const contradiction = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '--rset', '--no-rset']);
      expect(contradiction.code).toBe(3);
      expect(contradiction.stderr).toMatch(/--rset and --no-rset contradict each other/);
      seen.commands.length = 0;
      const bad = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '4', '--per-conn', '4', '--no-rset', '--to', 'bad@x.test', '--json']);
      expect(JSON.parse(bad.stdout)).toMatchObject({ rejected: 4, dialogue: { rsetBetweenMessages: false } });
      // After each refusal but the last, which QUIT follows.
      expect(seen.commands.filter((c) => c === 'RSET')).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('with PIPELINING, the next envelope goes with a message\'s end and QUIT with the last message (RFC 2920), QUIT after DATA and BDAT alike; one command at a time, after the final reply', async () => {
    const seen = fresh();
    const server = await countingServer(seen, true, true, { holdFinalMs: 100 });
    try {
      const run = (extra: string[]) => runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '4', '--per-conn', '2', ...extra]);
      expect((await run(['--no-bdat'])).code).toBe(0);
      expect([seen.quits, seen.quitsAlong, seen.envelopesAhead]).toEqual([2, 2, 2]);
      expect(seen.messages).toHaveLength(4);
      const bdat = await run(['--bdat']);
      expect(bdat.code).toBe(0);
      expect([seen.quits, seen.quitsAlong, seen.envelopesAhead]).toEqual([4, 4, 2]);
      expect(bdat.stdout).toMatch(/^dialogue {5}BDAT, PIPELINING \(QUIT with the last message\)/m);
      expect((await run(['--no-pipelining', '--no-bdat'])).code).toBe(0);
      expect([seen.quits, seen.quitsAlong, seen.envelopesAhead]).toEqual([6, 4, 2]);
      // With --rset, RSET and the next envelope both go with the message's end.
      seen.commands.length = 0;
      expect((await run(['--no-bdat', '--rset'])).code).toBe(0);
      expect([seen.quits, seen.quitsAlong, seen.envelopesAhead]).toEqual([8, 6, 4]);
      expect(seen.commands.filter((c) => c === 'RSET')).toHaveLength(2);
      expect(seen.messages).toHaveLength(16);
      // A refused last message: the refusal, then the 221 to the QUIT that went along.
      const refused = await run(['--to', 'bad@x.test', '--json']);
      expect(JSON.parse(refused.stdout)).toMatchObject({ rejected: 4, connectionsFailed: 0 });
      expect(seen.quits).toBe(10);
      expect(seen.envelopesAhead).toBe(4); // no content went, so no envelope with it
    } finally {
      await server.close();
    }
  });

  it('a message refused at its end, with the next envelope already sent: no RSET (the reply ended the transaction), and the next message goes through', async () => {
    const seen = fresh();
    const server = await countingServer(seen, true, false, { holdFinalMs: 20, refuseMessage: (n) => n % 2 === 1 });
    try {
      const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '1', '-n', '6', '--per-conn', '6', '--json']);
      expect(result.code).toBe(2);
      expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 3, rejected: 3, failureCodes: { '554': 3 }, connectionsFailed: 0 });
      expect(seen.messages).toHaveLength(6);
      expect(seen.envelopesAhead).toBe(5);
      expect(seen.commands).not.toContain('RSET');
      expect(seen.commands.filter((c) => c === 'MAIL')).toHaveLength(6);
    } finally {
      await server.close();
    }
  });

  it('--bdat sends each message as BDAT ... LAST when CHUNKING is offered, with or without PIPELINING', async () => {
    const seen = fresh();
    const server = await countingServer(seen, true, true);
    try {
      for (const extra of [[], ['--pipelining'], ['--pipelining', '--no-rset']]) {
        const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-c', '2', '-n', '8', '--per-conn', '3', '--size', '3k', '--bdat', '--json', ...extra]);
        expect(result.code).toBe(0);
        const summary = JSON.parse(result.stdout);
        expect(summary).toMatchObject({ accepted: 8, dialogue: { bdat: true, bdatConnections: summary.connectionsOpened } });
        expect(summary.bytesSent).toBe(seen.messages.slice(-8).reduce((n, m) => n + m.headers.join('\r\n').length + 4 + m.bodyBytes, 0));
      }
      expect(seen.commands).not.toContain('DATA');
      expect(seen.commands.filter((c) => c === 'BDAT')).toHaveLength(24);
      expect(seen.messages).toHaveLength(24);
      expect(seen.messages.every((m) => m.bodyBytes === 3072)).toBe(true);
      expect(new Set(seen.messages.map((m) => m.headers.find((h) => h.startsWith('Message-ID:')))).size).toBe(24);
    } finally {
      await server.close();
    }
  });

  it('--bdat falls back to DATA where CHUNKING is not offered, and says so', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '2', '--bdat']);
      expect(result.code).toBe(0);
      expect(seen.commands.filter((c) => c === 'DATA')).toHaveLength(2);
      expect(result.stdout).toMatch(/^dialogue {5}DATA \(CHUNKING not offered\)/m);
      expect(result.stdout).toMatch(/^load: 127\.0\.0\.1:\d+ \(plain smtp\), 1 concurrent connection$/m);
    } finally {
      await server.close();
    }
  });

  it('a server whose reply never ends, or whose line never ends, fails the connection with a reason, not the run', async () => {
    for (const flood of ['250-more\r\n', 'x'.repeat(8192)]) {
      const server = await fakeServer(async (client) => {
        client.send('220 flood ESMTP\r\n');
        await client.line();
        client.send('250-flood\r\n250 PIPELINING\r\n');
        await client.line();
        // MAIL is answered with an endless reply.
        for (let i = 0; i < 12_000 && !client.socket.destroyed; i++) client.send(flood);
        await sleep(200);
      });
      try {
        const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '1', '--json']);
        expect(result.code).toBe(2);
        const summary = JSON.parse(result.stdout);
        expect(summary.connectionsFailed).toBe(1);
        expect(Object.keys(summary.connectionErrors)[0]).toMatch(/ran past 10000 lines|longer than 65536 bytes/);
      } finally {
        await server.close();
      }
    }
  });

  it('a server that stops answering (before the greeting, after MAIL, at QUIT) costs -timeout, or a second for QUIT, not the run', async () => {
    for (const silentAt of ['greeting', 'MAIL', 'QUIT']) {
      let quits = 0;
      const server = await fakeServer(async (client) => {
        if (silentAt === 'greeting') return void (await sleep(10_000));
        client.send('220 silent ESMTP\r\n');
        await client.line();
        client.send('250-silent\r\n250 PIPELINING\r\n');
        for (;;) {
          const line = await client.line();
          if (/^QUIT/i.test(line)) quits++;
          if (line.startsWith(silentAt)) return void (await sleep(10_000));
          if (/^DATA/i.test(line)) {
            client.send('354 go\r\n');
            await readMessage(client);
          }
          client.send('250 ok\r\n');
        }
      });
      try {
        const started = performance.now();
        const result = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '1', '-timeout', '1', '--json']);
        const seconds = (performance.now() - started) / 1000;
        const summary = JSON.parse(result.stdout);
        if (silentAt === 'QUIT') {
          // The message was accepted; QUIT's reply is waited for a second, then the socket closed.
          expect(result.code).toBe(0);
          expect(summary.accepted).toBe(1);
          expect(quits).toBe(1);
        } else {
          expect(result.code).toBe(2);
          expect(summary.connectionErrors).toEqual({ 'no reply from the server after 1 s': 1 });
        }
        expect(seconds).toBeGreaterThanOrEqual(1);
        expect(seconds).toBeLessThan(8);
      } finally {
        await server.close();
      }
    }
  });

  it('refuses a large run against a host that is not this machine without --yes, before connecting', async () => {
    const result = await runMailprobe(['load', 'mail.example.com:25', '-n', '5000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/refusing to send 5000 messages to mail\.example\.com, which is not this machine, without --yes; a load test is not a spam run/);
  });

  it('a run where nothing was accepted reports 0 accepted messages/s, not the rate of the refusals', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const text = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '20', '--to', 'bad@x.test']);
      expect(text.stdout).toMatch(/^rate {9}0 accepted messages\/s \([\d.]+ sent\/s\), /m);
      const json = JSON.parse((await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '20', '--to', 'bad@x.test', '--json'])).stdout);
      expect(json.acceptedPerSecond).toBe(0);
      expect(json.sentPerSecond).toBeGreaterThan(0);
      const good = JSON.parse((await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '20', '--json'])).stdout);
      expect(good.acceptedPerSecond).toBeGreaterThan(0);
      expect(good.acceptedPerSecond).toBe(good.sentPerSecond);
    } finally {
      await server.close();
    }
  });

  /**
   * Runs a 60-second load and presses Ctrl-C once messages have arrived for 300 ms (so the
   * run, not Node's default, handles it): its exit code and output.
   */
  async function interruptedRun(port: number, seen: Seen, extra: string[]): Promise<{ code: number | null; out: string }> {
    const before = seen.messages.length;
    const child = spawn(process.execPath, [BIN, 'load', `127.0.0.1:${port}`, '-plain', '-c', '2', '--duration', '60s', ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    while (seen.messages.length === before) await sleep(20);
    await sleep(300);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, out };
  }

  it('stops on Ctrl-C with the partial report, which says it was interrupted, exit 130; every connection closed with QUIT', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const json = await interruptedRun(server.port, seen, ['--json']);
      const summary = JSON.parse(json.out);
      expect(summary.accepted).toBeGreaterThan(0);
      expect(summary.elapsedMs).toBeLessThan(10_000);
      expect(summary.interrupted).toBe(true);
      expect(json.code).toBe(130);
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.quits).toBe(seen.connections);
      const text = await interruptedRun(server.port, seen, []);
      expect(text.code).toBe(130);
      expect(text.out).toMatch(/^interrupted {2}by Ctrl-C: the counts cover the run until then$/m);
      // A run that ends by itself says nothing of the kind.
      const whole = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '2', '--json']);
      expect(JSON.parse(whole.stdout).interrupted).toBe(false);
    } finally {
      await server.close();
    }
  });
});
