// FTP with AUTH TLS (RFC 4217) against fake servers: a multi-line 220- greeting, FEAT that
// must list AUTH TLS, 234 the one go-ahead, PBSZ 0 / PROT P / FEAT over TLS; refusals,
// replies before AUTH TLS that answer nothing, plaintext after the 234, replies in
// one-byte chunks, 1xx preliminary replies, the credential guard for PASS, greeting
// recognition beside SMTP, and check/cert over the same dialogue.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FtpFramer } from '../../src/protocols/ftp/framer.js';
import { recogniseGreeting } from '../../src/protocols/registry.js';
import { expectLine, type FakeClient, fakeServersOfFile, sleep } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const GREETING = '220-Welcome to the fake FTP service.\r\n220-Mind the gap:\r\n220 fake FTP server ready\r\n';
const FEAT = '211-Features:\r\n AUTH TLS\r\n EPRT\r\n PBSZ\r\n PROT\r\n SIZE\r\n211 End\r\n';
const FEAT_OVER_TLS = '211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n MLST type*;size*;\r\n211 End\r\n';
const SECRET = 's3cret-ftp-pw';

const serve = fakeServersOfFile();

/** Writes `text` one byte at a time, so every reply arrives in pieces. */
async function trickle(client: FakeClient, text: string): Promise<void> {
  for (const byte of Buffer.from(text, 'latin1')) {
    client.send(Buffer.from([byte]));
    await sleep(1);
  }
}

/** Greeting, FEAT, AUTH TLS answered 234, the handshake. */
async function upToTls(client: FakeClient, feat = FEAT): Promise<void> {
  client.send(GREETING);
  await expectLine(client, /^FEAT$/);
  client.send(feat);
  await expectLine(client, /^AUTH TLS$/);
  client.send('234 Proceed with negotiation.\r\n');
  await client.upgrade(tlsOf(testPki().leaf));
}

/** Over TLS: PBSZ 0, PROT P (answered `prot`), FEAT. */
async function afterTls(client: FakeClient, prot = '200 PROT now Private.\r\n'): Promise<void> {
  await expectLine(client, /^PBSZ 0$/);
  client.send('200 PBSZ set to 0.\r\n');
  await expectLine(client, /^PROT P$/);
  client.send(prot);
  await expectLine(client, /^FEAT$/);
  client.send(FEAT_OVER_TLS);
}

/** Answers what a logged-out FTP server answers, until QUIT. */
async function commands(client: FakeClient): Promise<void> {
  for (;;) {
    const line = await client.line().catch(() => undefined);
    if (line === undefined) return;
    const verb = line.split(' ')[0].toUpperCase();
    if (verb === 'QUIT') {
      client.send('221 Goodbye.\r\n');
      return client.end();
    }
    if (verb === 'USER') client.send('331 Please specify the password.\r\n');
    else if (verb === 'PASS') client.send('230 Login successful.\r\n');
    else if (verb === 'LIST') client.send('150 Here comes the directory listing.\r\n226 Directory send OK.\r\n');
    else if (verb === 'FEAT') client.send(FEAT);
    else if (verb === 'AUTH') {
      client.send('234 Proceed with negotiation.\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
    } else client.send('200 ok\r\n');
  }
}

const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'ftp', '-CAfile', testPki().ca.cert, '-timeout', '15', ...more];
/** A --script file holding `text`. */
function script(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mailprobe-ftp-')), 'script');
  writeFileSync(file, text);
  return file;
}

const plain = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-plain', '-proto', 'ftp', '-timeout', '15', ...more];

describe('FTP AUTH TLS (RFC 4217)', () => {
  it('220- greeting, FEAT, AUTH TLS, 234, TLS; PBSZ 0, PROT P, FEAT; a login over TLS; QUIT: exit 0', async () => {
    const server = await serve(async (client) => {
      await upToTls(client);
      await afterTls(client);
      await commands(client);
    });
    const result = await runMailprobe(starttls(server.port, '-verify_return_error'), { input: `USER bob\nPASS ${SECRET}\nNOOP\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['FEAT', 'AUTH TLS', 'PBSZ 0', 'PROT P', 'FEAT', 'USER bob', `PASS ${SECRET}`, 'NOOP', 'QUIT']);
    // The whole multi-line greeting is shown, and the FEAT list before and after TLS.
    expect(result.stdout).toMatch(/^220-Welcome to the fake FTP service\.\n220-Mind the gap:\n220 fake FTP server ready$/m);
    expect(result.stdout).toMatch(/^=> AUTH TLS\n234 Proceed with negotiation\.$/m);
    expect(result.stdout).toMatch(/Verdict verified/);
    const overTls = result.stdout.slice(result.stdout.indexOf('Verdict'));
    expect(overTls).toMatch(/^=> PBSZ 0\n200 PBSZ set to 0\.\n=> PROT P\n200 PROT now Private\.\n=> FEAT\n211-Features:\n AUTH TLS\n PBSZ\n PROT\n MLST type\*;size\*;\n211 End$/m);
    expect(overTls).toMatch(/^-> PASS \[redacted\]\n230 Login successful\.$/m);
    expect(result.stdout).not.toContain(SECRET);
  });

  it('PROT P refused: the refusal is shown, one warning line, and the session goes on over TLS', async () => {
    const server = await serve(async (client) => {
      await upToTls(client);
      await afterTls(client, '536 PROT P not supported.\r\n');
      await commands(client);
    });
    const result = await runMailprobe(starttls(server.port), { input: 'NOOP\n' });
    expect(result.stderr).toBe('mailprobe: warning: the server refused PROT P (536): the control channel is protected, data connections would not be\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^=> PROT P\n536 PROT P not supported\.$/m);
    expect(server.received).toEqual(['FEAT', 'AUTH TLS', 'PBSZ 0', 'PROT P', 'FEAT', 'NOOP', 'QUIT']);
  });

  it('a 120 before the 220 is part of the greeting; a FEAT answered 500 leaves AUTH TLS to decide', async () => {
    const server = await serve(async (client) => {
      client.send('120 Service ready in 1 minute.\r\n220 ready now\r\n');
      await expectLine(client, /^FEAT$/);
      client.send('500 FEAT not understood.\r\n');
      await expectLine(client, /^AUTH TLS$/);
      client.send('234 AUTH TLS OK.\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await afterTls(client);
      await commands(client);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^120 Service ready in 1 minute\.\n220 ready now$/m);
  });

  it('FEAT without AUTH TLS: exit 7, AUTH TLS never sent', async () => {
    const server = await serve(async (client) => {
      client.send(GREETING);
      await expectLine(client, /^FEAT$/);
      client.send('211-Features:\r\n EPRT\r\n SIZE\r\n211 End\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port), { input: `USER bob\nPASS ${SECRET}\n` });
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/^mailprobe: the server does not offer AUTH TLS in its FEAT reply, so mailprobe stops/);
    expect(result.stderr).toMatch(/-tls \(port 990\)/);
    expect(server.received).toEqual(['FEAT']);
  });

  it.each([
    [' AUTH TLS;SSL', true],
    [' AUTH SSL TLS', true],
    [' AUTH TLS-C;SSL', false],
    ['AUTH TLS', true],
  ])('FEAT line %j offers AUTH TLS: %s', async (line, offered) => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      client.send(`211-Features:\r\n${line}\r\n211 End\r\n`);
      const next = await client.line().catch(() => undefined);
      if (next === 'AUTH TLS') client.send('534 not today\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(server.received).toEqual(offered ? ['FEAT', 'AUTH TLS'] : ['FEAT']);
  });

  it('AUTH TLS refused (534): exit 7 with the code, nothing typed sent', async () => {
    const server = await serve(async (client) => {
      client.send(GREETING);
      await expectLine(client, /^FEAT$/);
      client.send(FEAT);
      await expectLine(client, /^AUTH TLS$/);
      client.send('534 Local policy on server does not allow TLS.\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port), { input: `USER bob\nPASS ${SECRET}\n` });
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/refused AUTH TLS \(534\)/);
    expect(result.stderr).toMatch(/534 Local policy on server does not allow TLS\./);
    expect(server.received).toEqual(['FEAT', 'AUTH TLS']);
  });

  it('a multi-line 234 is still the go-ahead only once its last line is in', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      client.send(FEAT);
      await expectLine(client, /^AUTH TLS$/);
      client.send('234-Starting TLS\r\n234 Proceed.\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await afterTls(client);
      await commands(client);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('plaintext after the 234, in the same packet: injection, exit 10', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      client.send(FEAT);
      await expectLine(client, /^AUTH TLS$/);
      client.send('234 Proceed with negotiation.\r\n230 forged login ok\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port), { input: `USER bob\nPASS ${SECRET}\n` });
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
    expect(result.stderr).toMatch(/230 forged login ok/);
    expect(server.received).toEqual(['FEAT', 'AUTH TLS']);
  });

  it('plaintext a moment after the 234: injection, exit 10', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      client.send(FEAT);
      await expectLine(client, /^AUTH TLS$/);
      client.send('234 Proceed with negotiation.\r\n');
      await sleep(20);
      client.send('230 forged login ok\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
  });

  it('replies before AUTH TLS that answer nothing (a queued 234): injection, exit 10, AUTH TLS never sent', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      client.send(`${FEAT}234 Proceed with negotiation.\r\n230 forged login ok\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/answer no command before AUTH TLS/);
    expect(server.received).toEqual(['FEAT']);
  });

  it('every reply in one-byte chunks: the same dialogue, exit 0', async () => {
    const server = await serve(async (client) => {
      await trickle(client, GREETING);
      await expectLine(client, /^FEAT$/);
      await trickle(client, FEAT);
      await expectLine(client, /^AUTH TLS$/);
      await trickle(client, '234 Proceed with negotiation.\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^PBSZ 0$/);
      await trickle(client, '200 PBSZ set to 0.\r\n');
      await expectLine(client, /^PROT P$/);
      await trickle(client, '200 PROT now Private.\r\n');
      await expectLine(client, /^FEAT$/);
      await trickle(client, FEAT_OVER_TLS);
      await expectLine(client, /^QUIT$/);
      await trickle(client, '221 Goodbye.\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port, '-verify_return_error'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['FEAT', 'AUTH TLS', 'PBSZ 0', 'PROT P', 'FEAT', 'QUIT']);
    expect(result.stdout).toMatch(/^220-Welcome to the fake FTP service\.\n220-Mind the gap:\n220 fake FTP server ready$/m);
  });

  it('lines inside a multi-line reply that start with digits do not end it (RFC 959 §4.2)', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      // "234 " inside a 211 reply is text; only "211 " ends it: AUTH TLS is then sent and answered.
      client.send('211-Features:\r\n234 not a go-ahead\r\n211-still going\r\n AUTH TLS\r\n211 End\r\n');
      await expectLine(client, /^AUTH TLS$/);
      client.send('234 Proceed.\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await afterTls(client);
      await commands(client);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('implicit TLS (-tls, as on port 990): greeting over TLS, no AUTH TLS', async () => {
    const server = await serve(
      async (client) => {
        client.send('220 fake FTPS server ready\r\n');
        await commands(client);
      },
      { implicitTls: tlsOf(testPki().leaf) },
    );
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'ftp', '-CAfile', testPki().ca.cert, '-timeout', '15'], { input: 'NOOP\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['NOOP', 'QUIT']);
  });
});

describe('FTP on the wrong port', () => {
  it('-tls against a plaintext FTP port: exit 6, the hint names -starttls ftp', async () => {
    const server = await serve(async (client) => {
      client.send('220 (vsFTPd 3.0.3)\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-timeout', '15']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/speaks plaintext, not TLS/);
    expect(result.stderr).toMatch(/try -starttls ftp/);
  });
});

describe('FTP session in plaintext', () => {
  it('PASS in cleartext, in a script: refused with exit 13, the password never sent', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await commands(client);
    });
    const result = await runMailprobe(plain(server.port, '--script', script(`USER bob\nPASS ${SECRET}\n`)));
    expect(result.code).toBe(13);
    expect(result.stderr).toMatch(/refusing to send credentials over a cleartext connection/);
    expect(server.received.join('\n')).not.toContain(SECRET);
    expect(server.received).toContain('USER bob');
  });

  it('a 150 before the 226 is one reply: AUTH TLS typed afterwards is no injection, and upgrades', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await commands(client);
    });
    const result = await runMailprobe(plain(server.port, '-CAfile', testPki().ca.cert), { input: 'LIST\nAUTH TLS\nNOOP\n' });
    expect(result.stderr).not.toMatch(/injection/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^150 Here comes the directory listing\.\n226 Directory send OK\.$/m);
    expect(result.stdout).toMatch(/TLSv1\.[23]/);
    expect(server.received).toEqual(['LIST', 'AUTH TLS', 'NOOP', 'QUIT']);
  });

  it('-help says the session opens no data connection', async () => {
    const result = await runMailprobe(['-help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/FTP: a session is the control channel only; no data connection \(PASV, PORT\) is opened\./);
    expect(result.stdout).toMatch(/\[-starttls [a-z0-9|]*\|ftp\b/);
  });
});

describe('FTP greeting recognition (FTP and SMTP both greet with 220)', () => {
  it.each([
    ['220 (vsFTPd 3.0.3)', 'ftp'],
    ['220 ProFTPD Server (Debian) [::ffff:127.0.0.1]', 'ftp'],
    ['220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------', 'ftp'],
    ['220 Microsoft FTP Service', 'ftp'],
    ['220-FileZilla ftp server', 'ftp'],
    ['220 mx.example.com ESMTP Postfix', 'smtp'],
    ['220 ftp.example.com ESMTP Postfix', 'smtp'],
    ['220 mail.example.com Microsoft ESMTP MAIL Service ready', 'smtp'],
    ['220 ftp.example.com ready', 'smtp'],
    ['220 mx SMTP relay for ftp users', 'smtp'],
    ['220 lmtp.example.com LMTP ready', 'lmtp'],
  ])('%j is %s', (line, protocol) => {
    expect(recogniseGreeting(line)?.name).toBe(protocol);
  });

  it('on an odd port with -plain, the vsftpd greeting names FTP: PASS is then guarded', async () => {
    const server = await serve(async (client) => {
      client.send('220 (vsFTPd 3.0.3)\r\n');
      await commands(client);
    });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-timeout', '15', '--script', script(`USER bob\nPASS ${SECRET}\n`)]);
    expect(result.stdout).toMatch(/the greeting is FTP's, so mailprobe speaks FTP \(as with -proto ftp\)/);
    expect(result.code).toBe(13);
    expect(server.received.join('\n')).not.toContain(SECRET);
  });
});

describe('FTP: check and cert over AUTH TLS', () => {
  it('check --starttls ftp: TLS and certificate checks ok, FEAT\'s AUTH not taken for SASL', async () => {
    const server = await serve(async (client) => {
      await upToTls(client);
      await afterTls(client);
      await commands(client);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'ftp', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '15']);
    expect(result.stdout).toMatch(/ok +tls\.starttls/);
    expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
    expect(result.stdout).toMatch(/ok +certificate\.hostname/);
    expect(result.stdout).toMatch(/ok +capabilities\.auth_before_tls/);
    expect(result.stdout).not.toMatch(/fail |warn /);
    expect(result.code).toBe(0);
  });

  it('check --starttls ftp --user: USER/PASS over TLS', async () => {
    const server = await serve(async (client) => {
      await upToTls(client);
      await afterTls(client);
      await commands(client);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'ftp', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '15', '--user', 'bob', '--password', SECRET]);
    expect(result.stdout).toMatch(/ok +auth\.login +logged in as bob with USER\/PASS/);
    expect(server.received).toContain(`PASS ${SECRET}`);
    expect(result.code).toBe(0);
  });

  it('check --starttls ftp against a refusal: tls.starttls fails', async () => {
    const server = await serve(async (client) => {
      client.send('220 fake FTP server ready\r\n');
      await expectLine(client, /^FEAT$/);
      client.send(FEAT);
      await expectLine(client, /^AUTH TLS$/);
      client.send('431 Unable to accept security mechanism.\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'ftp', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '15']);
    expect(result.stdout).toMatch(/fail +tls\.starttls +.*refused AUTH TLS \(431\)/);
    expect(result.code).toBe(2);
  });

  it('cert --starttls ftp: the chain verifies', async () => {
    const server = await serve(async (client) => {
      await upToTls(client);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'ftp', '--CAfile', testPki().ca.cert, '--timeout', '15']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/verified|Verification: OK/i);
  });
});

describe('FtpFramer (pure, any chunking)', () => {
  /** The lines of `text` as [text, final, tone], fed in chunks of `size` bytes. */
  const frame = (text: string, size: number) => {
    const framer = new FtpFramer();
    const bytes = Buffer.from(text, 'latin1');
    const lines = [];
    for (let at = 0; at < bytes.length; at += size) lines.push(...framer.push(bytes.subarray(at, at + size)));
    return { framer, lines: lines.filter((line) => line.ending !== 'none').map((line) => [line.text, line.final, line.tone]) };
  };

  it.each([1, 2, 7, 1000])('in chunks of %i bytes: multi-line, 1xx preliminary, malformed', (size) => {
    const { framer, lines } = frame('220-a\r\n220 b\r\n211-F\r\n211x\r\n2110\r\n211-x\r\n AUTH TLS\r\n211 End\r\n150 go\r\n226 done\r\n331 pw\r\nbogus\r\n221 bye\r\n', size);
    expect(lines).toEqual([
      ['220-a', false, 'ok'],
      ['220 b', true, 'ok'],
      ['211-F', false, 'ok'],
      ['211x', false, 'ok'],
      ['2110', false, 'ok'],
      ['211-x', false, 'ok'],
      [' AUTH TLS', false, 'ok'],
      ['211 End', true, 'ok'],
      ['150 go', false, 'intermediate'],
      ['226 done', true, 'ok'],
      // 331 asks for another command: never a continuation (the PASS after it is a command).
      ['331 pw', true, 'ok'],
      ['bogus', true, 'malformed'],
      ['221 bye', true, 'bye'],
    ]);
    expect(framer.state()).toBe('REPLY');
  });

  it('a multi-line reply under way is MULTILINE until its closing line', () => {
    const { framer } = frame('211-Features:\r\n AUTH TLS\r\n', 3);
    expect(framer.state()).toBe('MULTILINE');
    expect(framer.sent('FEAT')).toBe(1);
  });
});
