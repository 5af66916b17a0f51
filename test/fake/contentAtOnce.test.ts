// Message content piped after DATA goes out as it arrives: a batch staged while another is
// being written is sent once that write is done, not held for the final "." or a full
// batch. Here the content comes in pieces a while apart, and the server must have each
// piece before the next is given.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServersOfFile, sleep } from '../support/fakeServer.js';
import { inputOf } from '../support/childInput.js';
import { BIN } from '../support/runMailprobe.js';

const fakeServer = fakeServersOfFile();

/** Resolves once `lines` holds `count` lines, or rejects after `ms`. */
async function haveLines(lines: string[], count: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (lines.length < count) {
    if (Date.now() > until) throw new Error(`the server had ${lines.length} of ${count} content lines after ${ms} ms`);
    await sleep(20);
  }
}

describe('piped content goes out as it arrives', () => {
  it('each piece reaches the server before the next is given, long before the "."', async () => {
    const content: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO /);
      client.send('250-mx\r\n250 PIPELINING\r\n');
      await expectLine(client, /^MAIL FROM/);
      client.send('250 ok\r\n');
      await expectLine(client, /^RCPT TO/);
      client.send('250 ok\r\n');
      await expectLine(client, /^DATA/);
      client.send('354 go on\r\n');
      for (let line = await client.line(); line !== '.'; line = await client.line()) content.push(line);
      client.send('250 queued\r\n');
      await expectLine(client, /^QUIT/);
      client.send('221 bye\r\n');
      client.end();
      done();
    });
    const child = spawn(process.execPath, [BIN, '-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdin = inputOf(child) as NodeJS.WritableStream;
    try {
      stdin.write('EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n');
      // A first piece large enough to be a write of its own, then pieces that arrive while
      // it may still be under way, then small pieces one at a time.
      const big = `${'y'.repeat(998)}\r\n`.repeat(2000);
      stdin.write(big);
      stdin.write('after the big piece\r\n');
      await haveLines(content, 2001, 10_000);
      for (let i = 0; i < 5; i++) {
        stdin.write(`piece ${i}\r\n`);
        await haveLines(content, 2002 + i, 5_000);
      }
      expect(content.slice(2000)).toEqual(['after the big piece', 'piece 0', 'piece 1', 'piece 2', 'piece 3', 'piece 4']);
      stdin.end('.\r\nQUIT\r\n');
      await finished;
    } finally {
      child.kill();
    }
  });
});
