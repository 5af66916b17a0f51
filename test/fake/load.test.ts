// mailprobe load against an in-process SMTP server that counts what arrives.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient, type FakeServer } from '../support/fakeServer.js';
import { BIN, runMailprobe } from '../support/runMailprobe.js';

interface Seen {
  messages: { headers: string[]; bodyBytes: number }[];
  commands: string[];
  quits: number;
  connections: number;
}

/** An SMTP server (PIPELINING, replies in order) that rejects RCPT to "bad" and 451s "busy". */
async function countingServer(seen: Seen, offerPipelining = true): Promise<FakeServer> {
  return fakeServer(async (client: FakeClient) => {
    seen.connections++;
    client.send('220 counting ESMTP\r\n');
    for (;;) {
      const line = await client.line();
      const verb = line.split(/[ :]/)[0].toUpperCase();
      seen.commands.push(verb);
      if (verb === 'EHLO') client.send(`250-counting\r\n${offerPipelining ? '250-PIPELINING\r\n' : ''}250 SIZE 100000\r\n`);
      else if (verb === 'MAIL' || verb === 'RSET') client.send('250 ok\r\n');
      else if (verb === 'RCPT') client.send(line.includes('bad') ? '550 5.1.1 no such user\r\n' : line.includes('busy') ? '451 4.3.0 try later\r\n' : '250 ok\r\n');
      else if (verb === 'DATA') {
        client.send('354 go\r\n');
        const headers: string[] = [];
        let bodyBytes = 0;
        let inBody = false;
        for (let l = await client.line(); l !== '.'; l = await client.line()) {
          if (!inBody && l === '') inBody = true;
          else if (inBody) bodyBytes += l.length + 2;
          else headers.push(l);
        }
        seen.messages.push({ headers, bodyBytes });
        client.send('250 2.0.0 Ok: queued\r\n');
      } else if (verb === 'QUIT') {
        seen.quits++;
        client.send('221 bye\r\n');
        client.end();
        return;
      } else client.send('502 what\r\n');
    }
  });
}

const fresh = (): Seen => ({ messages: [], commands: [], quits: 0, connections: 0 });

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
      expect(seen.commands.filter((c) => c === 'RSET')).toHaveLength(30);
      expect(summary.latencyMs.message.count).toBe(30);
      expect(summary.latencyMs.message.p50).toBeGreaterThan(0);
      expect(summary.latencyMs.message.max).toBeGreaterThanOrEqual(summary.latencyMs.message.p99);
    } finally {
      await server.close();
    }
  });

  it('counts refusals by reply code, with several recipients and PIPELINING', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const bad = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '5', '--to', 'bad@x.test', '--pipelining', '--json']);
      expect(bad.code).toBe(2);
      expect(JSON.parse(bad.stdout)).toMatchObject({ accepted: 0, rejected: 5, failureCodes: { '550': 5 } });
      const busy = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '4', '--to', 'busy@x.test', '--rcpts', '2']);
      expect(busy.code).toBe(2);
      expect(busy.stdout).toMatch(/^messages {5}4 sent: 0 accepted, 4 temp-failed, 0 rejected \(451 ×4\)$/m);
      const multi = await runMailprobe(['load', `127.0.0.1:${server.port}`, '-plain', '-n', '2', '--rcpts', '3', '--to', 'u@x.test']);
      expect(multi.code).toBe(0);
      expect(seen.messages.at(-1)?.headers).toContain('To: <u@x.test>, <u+2@x.test>, <u+3@x.test>');
    } finally {
      await server.close();
    }
  });

  it('refuses a large run against a host that is not this machine without --yes, before connecting', async () => {
    const result = await runMailprobe(['load', 'mail.example.com:25', '-n', '5000']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/refusing to send 5000 messages to mail\.example\.com, which is not this machine, without --yes; a load test is not a spam run/);
  });

  it('stops cleanly on Ctrl-C with the partial report, every connection closed with QUIT', async () => {
    const seen = fresh();
    const server = await countingServer(seen);
    try {
      const child = spawn(process.execPath, [BIN, 'load', `127.0.0.1:${server.port}`, '-plain', '-c', '2', '--duration', '60s', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await new Promise((r) => setTimeout(r, 700));
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const summary = JSON.parse(out);
      expect(summary.accepted).toBeGreaterThan(0);
      expect(summary.elapsedMs).toBeLessThan(10_000);
      expect(code).toBe(0);
      await new Promise((r) => setTimeout(r, 100));
      expect(seen.quits).toBe(seen.connections);
    } finally {
      await server.close();
    }
  });
});
