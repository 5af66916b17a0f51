// Hazard: server text that reaches mailprobe's own output rather than the transcript of
// server lines: a warning that quotes a reply, the load report's connection errors, and
// every --json document. Whatever the server sends, none of it reaches the terminal or a
// script raw (no C0 or C1 control, DEL, soft hyphen, bidi control or line separator), and
// the JSON still parses back into exactly the text mailprobe read.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient, type ServerTls } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { tlsOf } from '../support/pkiOnce.js';

/**
 * Everything that must never be written raw, by Unicode property (the escaper's definition,
 * written out again here): a raw newline is allowed only as the line break of the output.
 */
const RAW = /(?!\n)[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Bytes a hostile server puts in a reply: a window-title sequence, ESC and BEL, DEL, the C1
 * controls NEL and CSI, an invalid byte, and 0xAD, which mailprobe's Latin-1 reading of
 * server bytes turns into an invisible soft hyphen.
 */
const HOSTILE = Buffer.concat([Buffer.from('X\x1b]0;pwned\x07\x7f', 'latin1'), Buffer.from([0x85, 0x9b]), Buffer.from('2J'), Buffer.from([0xad, 0xff]), Buffer.from('end')]);
/** The same bytes as mailprobe holds them (one character per byte). */
const HELD = HOSTILE.toString('latin1');

function expectNothingRaw(output: Buffer): void {
  const text = output.toString('utf8');
  expect(RAW.exec(text)?.[0], JSON.stringify(RAW.exec(text)?.[0])).toBeUndefined();
  expect(output.includes(0x1b)).toBe(false);
}

async function withServer<T>(handler: (client: FakeClient) => Promise<void>, use: (port: number) => Promise<T>, tls?: ServerTls): Promise<T> {
  const server = await fakeServer(handler, tls ? { implicitTls: tls } : {});
  try {
    return await use(server.port);
  } finally {
    await server.close();
  }
}

/** An SMTP server whose EHLO lists an AUTH mechanism made of the hostile bytes. */
async function hostileEhlo(client: FakeClient): Promise<void> {
  client.send('220 mx ESMTP\r\n');
  await expectLine(client, /^EHLO/);
  client.send(Buffer.concat([Buffer.from('250-mx\r\n250-AUTH PLAIN '), HOSTILE, Buffer.from('\r\n250 PIPELINING\r\n')]));
  await expectLine(client, /^QUIT$/);
  client.send('221 bye\r\n');
  client.end();
}

/** A self-signed certificate without SAN whose subject carries bidi controls, separators and invisible characters. */
function invisibleSubjectCertificate(): ServerTls {
  const dir = mkdtempSync(join(tmpdir(), 'mp-invisible-'));
  const subject = '/CN=mx\u202etxt.exe\u2066\u2028line\u2029para\u00adsoft\u200bzw\u034fcgj\u3164filler';
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-utf8', '-subj', subject,
  ], { stdio: 'ignore' });
  return tlsOf({ certPem: readFileSync(join(dir, 'c.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'k.pem'), 'utf8') });
}

describe('check: server text in the report and in --json', () => {
  it('the text report shows the hostile mechanism escaped', async () => {
    const result = await withServer(hostileEhlo, (port) => runMailprobe(['check', `127.0.0.1:${port}`, '--plain', '--proto', 'smtp', '--no-versions']));
    expectNothingRaw(result.stdoutBytes);
    expect(result.stdout).toContain('AUTH PLAIN X\\e]0;PWNED\\a\\x7f\\u{85}\\u{9b}2J\\u{ad}ŸEND');
  });

  it('--json writes C1 controls, DEL and the soft hyphen as \\u escapes, and parses back to what was read', async () => {
    const result = await withServer(hostileEhlo, (port) => runMailprobe(['check', `127.0.0.1:${port}`, '--plain', '--proto', 'smtp', '--no-versions', '--json']));
    expectNothingRaw(result.stdoutBytes);
    expect(result.stdout).toContain('"X\\u001b]0;PWNED\\u0007\\u007f\\u0085\\u009b2J\\u00adŸEND"');
    const doc = JSON.parse(result.stdout);
    const list = doc.targets[0].checks.find((c: { id: string }) => c.id === 'capabilities.list');
    expect(list.details.auth).toEqual(['PLAIN', HELD.toUpperCase()]);
  });

  it('a certificate subject\'s bidi controls, U+2028 and invisible characters: escaped in the report, \\u escapes in --json', async () => {
    const tls = invisibleSubjectCertificate();
    const greet = async (client: FakeClient) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO/);
      client.send('250-mx\r\n250 PIPELINING\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    };
    const [text, result] = await withServer(
      greet,
      async (port) => {
        const args = ['check', `localhost:${port}`, '--tls', '--proto', 'smtp', '--no-versions'];
        return [await runMailprobe(args), await runMailprobe([...args, '--json'])];
      },
      tls,
    );
    expectNothingRaw(text.stdoutBytes);
    expect(text.stdout).toContain('CN=mx\\u{202e}txt.exe\\u{2066}\\u{2028}line\\u{2029}para\\u{ad}soft\\u{200b}zw\\u{34f}cgj\\u{3164}filler');
    expectNothingRaw(result.stdoutBytes);
    for (const escape of ['\\u202e', '\\u2066', '\\u2028', '\\u2029', '\\u00ad', '\\u200b', '\\u034f', '\\u3164']) expect(result.stdout).toContain(escape);
    const hostname = JSON.parse(result.stdout).targets[0].checks.find((c: { id: string }) => c.id === 'certificate.hostname');
    expect(hostname.summary).toContain('CN=mx\u202etxt.exe\u2066\u2028line\u2029para\u00adsoft\u200bzw\u034fcgj\u3164filler');
  });
});

describe('load: connection errors quote the server', () => {
  const refuse = async (client: FakeClient) => {
    client.send(Buffer.concat([Buffer.from('554 5.7.1 '), HOSTILE, Buffer.from('\r\n')]));
    await client.line().catch(() => {});
    client.end();
  };

  it('the text report shows the reason escaped', async () => {
    const result = await withServer(refuse, (port) => runMailprobe(['load', `127.0.0.1:${port}`, '-plain', '-n', '2']));
    expect(result.code).toBe(2);
    expectNothingRaw(result.stdoutBytes);
    expect(result.stdout).toMatch(/^ {2}2 × the server greeted with 554 5\.7\.1 X\\e\]0;pwned\\a\\x7f\\u\{85\}\\u\{9b\}2J\\u\{ad\}ÿend$/m);
  });

  it('--json writes the reason with \\u escapes and parses back to it', async () => {
    const result = await withServer(refuse, (port) => runMailprobe(['load', `127.0.0.1:${port}`, '-plain', '-n', '2', '--json']));
    expectNothingRaw(result.stdoutBytes);
    expect(result.stdout).toContain('"the server greeted with 554 5.7.1 X\\u001b]0;pwned\\u0007\\u007f\\u0085\\u009b2J\\u00adÿend": 2');
    expect(JSON.parse(result.stdout).connectionErrors).toEqual({ [`the server greeted with 554 5.7.1 ${HELD}`]: 2 });
  });
});

describe('session: a warning that quotes the server', () => {
  it('APPEND refused with hostile text: the error shows it escaped', async () => {
    const imap = async (client: FakeClient) => {
      client.send('* OK ready\r\n');
      for (;;) {
        const line = await client.line();
        const [tag, verb] = line.split(' ');
        if (/^CAPABILITY$/i.test(verb ?? '')) client.send(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
        else if (/^APPEND$/i.test(verb ?? '')) {
          const size = Number(/\{(\d+)\}$/.exec(line)?.[1]);
          client.send('+ go ahead\r\n');
          for (let read = 0; read < size; ) read += (await client.line()).length + 2;
          await client.line(); // the end of the APPEND command line
          client.send(Buffer.concat([Buffer.from(`${tag} NO [OVERQUOTA] `), HOSTILE, Buffer.from('\r\n')]));
        } else if (/^LOGOUT$/i.test(verb ?? '')) {
          client.send(`* BYE\r\n${tag} OK bye\r\n`);
          client.end();
          return;
        } else client.send(`${tag} BAD what\r\n`);
      }
    };
    const result = await withServer(imap, (port) => runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'imap'], { input: ':send\n' }));
    const stderr = Buffer.from(result.stderr, 'utf8');
    expectNothingRaw(stderr);
    expectNothingRaw(result.stdoutBytes);
    expect(result.stderr).toMatch(/^mailprobe: :send stopped at end of APPEND: the server answered a\d+ NO \[OVERQUOTA\] X\\e\]0;pwned\\a\\x7f\\u\{85\}\\u\{9b\}2J\\u\{ad\}ÿend$/m);
  });

  it(':caps shows the server\'s capability keywords and parameters escaped', async () => {
    const smtp = async (client: FakeClient) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO /);
      client.send(Buffer.concat([Buffer.from('250-mx\r\n250-'), HOSTILE, Buffer.from(' PARAM'), HOSTILE, Buffer.from('\r\n250 SIZE 100\r\n')]));
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    };
    const result = await withServer(smtp, (port) => runMailprobe(['-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp', '-quiet'], { input: 'EHLO me\n:caps\n' }));
    expectNothingRaw(result.stdoutBytes);
    expect(result.stdout).toMatch(/^capabilities \(in cleartext\):$/m);
    expect(result.stdout).toMatch(/^ {2}X\\e\]0;PWNED\\a\\x7f/m);
  });
});
