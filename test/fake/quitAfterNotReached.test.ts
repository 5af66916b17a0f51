// --quit-after STAGE when the session ends before the stage: said on stderr, exit 2 (a
// script that asked for RCPT and did not get there must not see success).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient } from '../support/fakeServer.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { runMailprobe } from '../support/runMailprobe.js';

async function smtp(client: FakeClient): Promise<void> {
  client.send('220 mx ESMTP\r\n');
  for (;;) {
    const line = await client.line();
    const verb = line.split(' ')[0].toUpperCase();
    if (verb === 'EHLO') client.send('250-mx\r\n250 STARTTLS\r\n');
    else if (verb === 'STARTTLS') {
      client.send('220 go\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
    } else if (verb === 'QUIT') {
      client.send('221 bye\r\n');
      client.end();
      return;
    } else client.send('250 ok\r\n');
  }
}

async function run(flags: string[], input: string) {
  const server = await fakeServer(smtp);
  try {
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert, ...flags], { input });
    return { ...result, received: server.received.map((line) => line.split(' ')[0]) };
  } finally {
    await server.close();
  }
}

const NOT_REACHED = /^mailprobe: --quit-after rcpt: the session ended before the rcpt stage was reached; give the lines that get there before the input ends$/m;

describe('--quit-after a stage the session never reaches', () => {
  it('no input at all: QUIT as usual, then the stage not reached is said and the exit code is 2', async () => {
    const result = await run(['--quit-after', 'rcpt'], '');
    expect(result.received).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'QUIT']);
    expect(result.stderr).toMatch(NOT_REACHED);
    expect(result.code).toBe(2);
  });

  it('input ending after MAIL, with -quiet and --log: said on stderr and in the transcript', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'mp-quit-')), 't.log');
    const result = await run(['--quit-after', 'rcpt', '-quiet', '--log', log], 'MAIL FROM:<a@x>\n');
    expect(result.received).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'MAIL', 'QUIT']);
    expect(result.stderr).toMatch(NOT_REACHED);
    expect(result.code).toBe(2);
    expect(readFileSync(log, 'utf8')).toMatch(/\*\* error: --quit-after rcpt: the session ended before the rcpt stage was reached/);
  });

  it('a user QUIT before the stage is the same', async () => {
    const result = await run(['--quit-after', 'rcpt'], 'MAIL FROM:<a@x>\nQUIT\n');
    expect(result.stderr).toMatch(NOT_REACHED);
    expect(result.code).toBe(2);
  });

  it('the stage reached: exit 0 and nothing on stderr', async () => {
    const result = await run(['--quit-after', 'rcpt'], 'MAIL FROM:<a@x>\nRCPT TO:<b@y>\n');
    expect(result.received).toEqual(['EHLO', 'STARTTLS', 'EHLO', 'MAIL', 'RCPT', 'QUIT']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
