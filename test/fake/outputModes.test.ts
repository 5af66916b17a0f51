// What each output mode shows, and that --log records the whole wire whatever the display
// hides: the default (notes, dialogue, full TLS report), -brief (one TLS line), -quiet
// (the session only, plus what the user asked to see), and -showcerts in each of them.
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
    if (/^EHLO/i.test(line)) client.send('250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n');
    else if (line === 'STARTTLS') {
      client.send('220 go\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
    } else if (/^AUTH PLAIN /i.test(line)) client.send('235 2.7.0 ok\r\n');
    else if (/^QUIT/i.test(line)) {
      client.send('221 bye\r\n');
      client.end();
      return;
    } else client.send('250 ok\r\n');
  }
}

const INPUT = ':auth PLAIN bob s3cret\n:decode VXNlcm5hbWU6\nNOOP\n';

async function run(flags: string[], input = INPUT) {
  const server = await fakeServer(smtp);
  try {
    return await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert, ...flags], { input });
  } finally {
    await server.close();
  }
}

const PEM_BEGIN = /^-----BEGIN CERTIFICATE-----$/gm;

describe('output modes', () => {
  it('default: notes, the dialogue before TLS, the full TLS report, helper outcomes, no PEM', async () => {
    const result = await run([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-- connecting to localhost:\d+/m);
    expect(result.stdout).toMatch(/^220 mx ESMTP$/m);
    expect(result.stdout).toMatch(/^=> STARTTLS$/m);
    expect(result.stdout).toMatch(/^ {2}protocol {5}TLSv1\.3$/m);
    expect(result.stdout).toMatch(/^-- authenticated as bob with PLAIN$/m);
    expect(result.stdout).toMatch(/^Username:$/m);
    expect(result.stdout).not.toMatch(PEM_BEGIN);
  });

  it('-brief: the TLS report is one line; the rest as by default', async () => {
    const result = await run(['-brief']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^TLS TLSv1\.3 \S+.*, verified$/m);
    expect(result.stdout).not.toMatch(/^ {2}protocol/m);
    expect(result.stdout).toMatch(/^-- authenticated as bob with PLAIN$/m);
    expect(result.stdout).not.toMatch(PEM_BEGIN);
  });

  it('-quiet: the session only — no notes, no dialogue before it, no TLS report — but what the user asked to see', async () => {
    const result = await run(['-quiet']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/^-- /m);
    expect(result.stdout).not.toMatch(/220 mx ESMTP|STARTTLS|250-mx/);
    expect(result.stdout).not.toMatch(/^TLS/m);
    expect(result.stdout).toMatch(/^235 2\.7\.0 ok$/m); // the server's answer to :auth says how it went
    expect(result.stdout).toMatch(/^Username:$/m); // :decode's answer
    expect(result.stdout).toMatch(/^250 ok$/m);
    expect(result.stdout).not.toMatch(PEM_BEGIN);
  });

  it.each([
    [[], true],
    [['-brief'], true],
    [['-quiet'], false],
  ])('-showcerts %j prints the PEM chain in every mode', async (flags, report) => {
    const result = await run(['-showcerts', ...flags]);
    expect(result.code).toBe(0);
    const chain = result.stdout.match(PEM_BEGIN) ?? [];
    expect(chain.length).toBeGreaterThanOrEqual(1);
    expect(result.stdout.match(/^-----END CERTIFICATE-----$/gm)).toHaveLength(chain.length);
    expect(/^TLS/m.test(result.stdout)).toBe(report);
  });
});

describe('--log records the wire whatever the display hides', () => {
  it.each([[['-quiet']], [['-brief']], [[]]])('%j: every line sent and received is in the transcript', async (flags) => {
    const log = join(mkdtempSync(join(tmpdir(), 'mp-modes-')), 't.log');
    const result = await run([...flags, '--log', log]);
    expect(result.code).toBe(0);
    const entries = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => /^\S+ (->|<-|~>|<~) /.test(line))
      .map((line) => line.replace(/^\S+ /, ''));
    expect(entries).toEqual([
      '<- 220 mx ESMTP',
      expect.stringMatching(/^-> EHLO /),
      '<- 250-mx',
      '<- 250-STARTTLS',
      '<- 250 AUTH PLAIN LOGIN',
      '-> STARTTLS',
      '<- 220 go',
      expect.stringMatching(/^~> EHLO /),
      '<~ 250-mx',
      '<~ 250-STARTTLS',
      '<~ 250 AUTH PLAIN LOGIN',
      '~> AUTH PLAIN [redacted]',
      '<~ 235 2.7.0 ok',
      '~> NOOP',
      '<~ 250 ok',
      '~> QUIT',
      '<~ 221 bye',
    ]);
  });
});
