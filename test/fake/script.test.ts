// --script with expectations, and --quit-after at each stage.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

/** A small SMTP server with STARTTLS and AUTH PLAIN that answers everything sensibly. */
async function smtp(client: FakeClient): Promise<void> {
  client.send('220 mx ESMTP\r\n');
  for (;;) {
    const line = await client.line();
    const verb = line.split(' ')[0].toUpperCase();
    if (verb === 'EHLO') client.send('250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n');
    else if (verb === 'STARTTLS') {
      client.send('220 go\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
    } else if (verb === 'AUTH') client.send('235 2.7.0 ok\r\n');
    else if (verb === 'MAIL') client.send('250 2.1.0 sender ok\r\n');
    else if (verb === 'RCPT') client.send(line.includes('bad') ? '550 5.1.1 unknown user\r\n' : '250 2.1.5 ok\r\n');
    else if (verb === 'DATA') {
      client.send('354 go\r\n');
      while ((await client.line()) !== '.');
      client.send('250 2.0.0 queued as S1\r\n');
    } else if (verb === 'QUIT') {
      client.send('221 bye\r\n');
      client.end();
      return;
    } else client.send('502 unknown\r\n');
  }
}

function scriptFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mp-script-')), 'session.txt');
  writeFileSync(path, text);
  return path;
}

async function run(args: string[], input = '') {
  const server = await fakeServer(smtp);
  try {
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-CAfile', testPki().ca.cert, ...args], { input });
    return { ...result, received: server.received };
  } finally {
    await server.close();
  }
}

describe('--script', () => {
  it('runs lines, comments and expectations to the end (exit 0)', async () => {
    const file = scriptFile([
      '# a comment is never sent',
      'EXPECT 250',
      ':auth PLAIN bob secret',
      'MAIL FROM:<a@x.test>',
      'EXPECT 250 2.1.0',
      'EXPECT-NOT 5',
      'RCPT TO:<b@y.test>',
      'EXPECT /2\\.1\\.5/',
      'DATA',
      'EXPECT 354',
      'Subject: scripted',
      '# inside DATA this is message text',
      '.',
      'EXPECT 250',
      '',
    ].join('\n'));
    const result = await run(['-starttls', 'smtp', '-quiet', '--script', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.received).toContain('# inside DATA this is message text');
    expect(result.received).not.toContain('# a comment is never sent');
    expect(result.received.filter((l) => l.startsWith('EXPECT'))).toEqual([]);
    expect(result.received.at(-1)).toBe('QUIT');
  });

  it('stops at a failed expectation with exit 2, naming the line and what came instead', async () => {
    const file = scriptFile('MAIL FROM:<a@x.test>\nRCPT TO:<bad@y.test>\nEXPECT 250\nDATA\n');
    const result = await run(['-starttls', 'smtp', '-quiet', '--script', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mailprobe: script line 3: EXPECT 250 was not met; the server answered: 550 5\.1\.1 unknown user$/m);
    expect(result.received).not.toContain('DATA');
  });

  it('reads the script from stdin with "-", and a missing script file is a usage error', async () => {
    const result = await run(['-starttls', 'smtp', '-quiet', '--script', '-'], 'NOOP\nEXPECT-NOT 5\n');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/script line 2: EXPECT-NOT 5 was not met; the server answered: 502 unknown/);
    const missing = await runMailprobe(['-connect', 'localhost:1', '-plain', '--script', '/nonexistent/script']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the script \/nonexistent\/script: ENOENT/);
  });
});

describe('--quit-after', () => {
  it.each([
    ['connect', ['-starttls', 'smtp'], []],
    ['banner', ['-starttls', 'smtp'], ['QUIT']],
    ['tls', ['-starttls', 'smtp'], ['EHLO', 'STARTTLS', 'QUIT']],
    ['ehlo', ['-starttls', 'smtp'], ['EHLO', 'STARTTLS', 'EHLO', 'QUIT']],
    ['auth', ['-starttls', 'smtp'], ['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'QUIT']],
    ['mail', ['-starttls', 'smtp'], ['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'MAIL', 'QUIT']],
    ['rcpt', ['-starttls', 'smtp'], ['EHLO', 'STARTTLS', 'EHLO', 'AUTH', 'MAIL', 'RCPT', 'RCPT', 'QUIT']],
  ])('%s', async (stage, args, verbs) => {
    const result = await run([...args, '-quiet', '--quit-after', stage], ':auth PLAIN bob secret\nMAIL FROM:<a@x>\nRCPT TO:<b@y>\nRCPT TO:<c@y>\nDATA\nhello\n.\n');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.received.map((l) => l.split(' ')[0])).toEqual(verbs);
  });

  it('an unknown stage is a usage error listing the stages', async () => {
    const result = await runMailprobe(['-connect', 'localhost:25', '--quit-after', 'lunch']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/-quit-after lunch is not a stage; choose one of connect, banner, tls, ehlo, auth, mail, rcpt, data/);
  });
});

describe('NNTP: scripts and --quit-after', () => {
  async function nntp(client: FakeClient): Promise<void> {
    let tls = false;
    client.send('200 news ready\r\n');
    for (;;) {
      const line = await client.line();
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'CAPABILITIES') client.send(`101 Capability list:\r\nVERSION 2\r\n${tls ? 'SASL PLAIN\r\n' : 'STARTTLS\r\n'}.\r\n`);
      else if (verb === 'STARTTLS') {
        client.send('382 go\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
        tls = true;
      } else if (verb === 'AUTHINFO') client.send(/^AUTHINFO USER/i.test(line) ? '381 PASS required\r\n' : '281 ok\r\n');
      else if (verb === 'LIST') client.send('215 list follows\r\nmisc.test 3 1 y\r\n.\r\n');
      else if (verb === 'GROUP') client.send(line.includes('nosuch') ? '411 No such newsgroup\r\n' : '211 3 1 3 misc.test\r\n');
      else if (verb === 'QUIT') {
        client.send('205 bye\r\n');
        return client.end();
      } else client.send('500 What?\r\n');
    }
  }

  async function runNntp(args: string[], input = '') {
    const server = await fakeServer(nntp);
    try {
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-CAfile', testPki().ca.cert, '-starttls', 'nntp', ...args], { input });
      return { ...result, received: server.received };
    } finally {
      await server.close();
    }
  }

  it('EXPECT matches the status line of a multi-line reply, not its final "."', async () => {
    const file = scriptFile('LIST\nEXPECT 215\nGROUP misc.test\nEXPECT 211\nGROUP nosuch.group\nEXPECT 211\nLIST\n');
    const result = await runNntp(['-quiet', '--script', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mailprobe: script line 6: EXPECT 211 was not met; the server answered: 411 No such newsgroup$/m);
    expect(result.received.slice(3)).toEqual(['LIST', 'GROUP misc.test', 'GROUP nosuch.group']);
  });

  const HELPER = ':auth PLAIN bob secret\nLIST\n';
  // Typed by hand: the auth stage is the 281 that answers AUTHINFO PASS, not the 381 before it.
  const TYPED = 'AUTHINFO USER bob\nAUTHINFO PASS secret\nLIST\n';
  it.each([
    ['banner', HELPER, ['QUIT']],
    ['tls', HELPER, ['CAPABILITIES', 'STARTTLS', 'QUIT']],
    ['ehlo', HELPER, ['CAPABILITIES', 'STARTTLS', 'CAPABILITIES', 'QUIT']],
    ['auth', HELPER, ['CAPABILITIES', 'STARTTLS', 'CAPABILITIES', 'AUTHINFO', 'QUIT']],
    ['auth', TYPED, ['CAPABILITIES', 'STARTTLS', 'CAPABILITIES', 'AUTHINFO', 'AUTHINFO', 'QUIT']],
  ])('--quit-after %s (%j)', async (stage, input, verbs) => {
    const result = await runNntp(['-quiet', '--quit-after', stage], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.received.map((l) => l.split(' ')[0])).toEqual(verbs);
  });
});
