// Hazard: credentials typed by hand slipping past the guard. The guard follows each
// protocol's grammar — IMAP LOGIN with literals included — and the line typed right after a
// SASL start without an initial response is a credential whatever the server answered.
// On cleartext a script is refused (exit 13) before a secret leaves; with
// --allow-plaintext-auth the lines go, and echo and --log show them redacted.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient, type FakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

const SECRET = 'hunter2-s3cret';
const B64 = Buffer.from(`\0bob\0${SECRET}`).toString('base64');

const servers: FakeServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

/** IMAP that takes LOGIN with literals (synchronising or LITERAL+) and AUTHENTICATE. */
async function imap(client: FakeClient): Promise<void> {
  client.send('* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] ready\r\n');
  let open: string | undefined; // the tag of a command still being sent
  for (;;) {
    const line = await client.line();
    const tag = open ?? line.split(' ')[0];
    const verb = open ? '' : (line.split(' ')[1] ?? '').toUpperCase();
    if (/\{\d+\+?\}$/.test(line)) {
      if (!line.endsWith('+}')) client.send('+ go on\r\n');
      open = tag;
      continue;
    }
    open = undefined;
    if (verb === 'AUTHENTICATE' && line.split(' ').length === 3) {
      client.send('+ \r\n');
      await client.line();
      client.send(`${tag} OK done\r\n`);
    } else if (verb === 'LOGOUT') {
      client.send(`* BYE\r\n${tag} OK bye\r\n`);
      return client.end();
    } else client.send(`${tag} OK done\r\n`);
  }
}

/** SMTP that answers AUTH PLAIN with 250 instead of 334: the next line must still be secret. */
async function smtpLying(client: FakeClient): Promise<void> {
  client.send('220 mx ESMTP\r\n');
  for (;;) {
    const line = await client.line();
    if (/^QUIT/i.test(line)) {
      client.send('221 bye\r\n');
      return client.end();
    }
    client.send(/^EHLO/i.test(line) ? '250-mx\r\n250 AUTH PLAIN\r\n' : '250 ok\r\n');
  }
}

/** IRC: a NOTICE first, AUTHENTICATE + for a SASL start, ERROR for QUIT; nothing else answered. */
async function irc(client: FakeClient): Promise<void> {
  client.send(':irc.test NOTICE * :*** Looking up your hostname\r\n');
  for (;;) {
    const line = await client.line();
    if (/^AUTHENTICATE PLAIN$/i.test(line)) client.send('AUTHENTICATE +\r\n');
    if (/^QUIT/i.test(line)) {
      client.send('ERROR :bye\r\n');
      return client.end();
    }
  }
}

/** NNTP (RFC 4643): AUTHINFO USER asks for the password (381), AUTHINFO SASL challenges (383). */
async function nntp(client: FakeClient): Promise<void> {
  client.send('200 news ready\r\n');
  for (;;) {
    const line = await client.line();
    const words = line.split(' ');
    if (/^QUIT/i.test(line)) {
      client.send('205 bye\r\n');
      return client.end();
    }
    if (/^AUTHINFO USER/i.test(line)) client.send('381 PASS required\r\n');
    else if (/^AUTHINFO SASL/i.test(line) && words.length === 3) {
      client.send('383 =\r\n');
      await client.line();
      client.send('281 ok\r\n');
    } else client.send('281 ok\r\n');
  }
}

/** FTP (RFC 959): USER asks for the password (331); 230 for PASS; AUTH TLS is no SASL start (500 here). */
async function ftp(client: FakeClient): Promise<void> {
  client.send('220 fake FTP server ready\r\n');
  for (;;) {
    const line = await client.line();
    if (/^QUIT/i.test(line)) {
      client.send('221 Goodbye.\r\n');
      return client.end();
    }
    if (/^USER/i.test(line)) client.send('331 Please specify the password.\r\n');
    else if (/^AUTH/i.test(line)) client.send('500 AUTH not understood\r\n');
    else client.send('230 Login successful.\r\n');
  }
}

async function run(handler: (client: FakeClient) => Promise<void>, proto: string, input: string, extra: string[] = []) {
  const server = await fakeServer(handler);
  servers.push(server);
  const log = join(mkdtempSync(join(tmpdir(), 'mp-typed-')), 'session.log');
  const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', proto, '--log', log, ...extra], { input });
  return { ...result, received: server.received, log: readFileSync(log, 'utf8') };
}

const CASES: Array<[string, (client: FakeClient) => Promise<void>, string, string]> = [
  ['IMAP LOGIN with non-synchronising literals', imap, 'imap', `a LOGIN {3+}\nbob {${SECRET.length}+}\n${SECRET}\n`],
  ['IMAP LOGIN with synchronising literals', imap, 'imap', `a LOGIN {3}\nbob {${SECRET.length}}\n${SECRET}\n`],
  ['IMAP LOGIN with quoted strings', imap, 'imap', `a LOGIN "bob" "${SECRET}"\n`],
  ['IMAP AUTHENTICATE answered by hand', imap, 'imap', `a AUTHENTICATE PLAIN\n${B64}\n`],
  ['SMTP AUTH PLAIN answered 250 instead of 334', smtpLying, 'smtp', `EHLO me\nAUTH PLAIN\n${B64}\n`],
  ['IRC PASS', irc, 'irc', `PASS ${SECRET}\nNICK bob\n`],
  ['IRC OPER', irc, 'irc', `OPER bob ${SECRET}\n`],
  ['IRC AUTHENTICATE PLAIN answered by hand', irc, 'irc', `CAP REQ :sasl\nAUTHENTICATE PLAIN\nAUTHENTICATE ${B64}\n`],
  ['IRC AUTHENTICATE, the secret in a later step', irc, 'irc', `AUTHENTICATE SCRAM-SHA-256\nAUTHENTICATE biwsbj1ib2Iscj1yT3ByTkdmd0ViZVJXZ2JORWtxTw==\nAUTHENTICATE ${B64}\n`],
  ['IRC NickServ IDENTIFY', irc, 'irc', `PRIVMSG NickServ :IDENTIFY bob ${SECRET}\n`],
  // 381 asks for another command, not for data: AUTHINFO PASS is read as a command, and a credential.
  ['NNTP AUTHINFO PASS after the 381 of AUTHINFO USER', nntp, 'nntp', `AUTHINFO USER bob\nAUTHINFO PASS ${SECRET}\n`],
  ['NNTP AUTHINFO SASL with an initial response', nntp, 'nntp', `AUTHINFO SASL PLAIN ${B64}\n`],
  ['NNTP AUTHINFO SASL answered by hand after 383', nntp, 'nntp', `AUTHINFO SASL PLAIN\n${B64}\n`],
  // 331 asks for another command, not for data: PASS is read as a command, and a credential.
  ['FTP PASS after the 331 of USER', ftp, 'ftp', `USER bob\nPASS ${SECRET}\n`],
  ['FTP PASS with spaces in the password', ftp, 'ftp', `USER bob\nPASS x ${SECRET}\n`],
  ['FTP PASS after a refused AUTH TLS (AUTH TLS starts no SASL exchange)', ftp, 'ftp', `AUTH TLS\nUSER bob\nPASS ${SECRET}\n`],
];

describe('typed credentials on cleartext', () => {
  it.each(CASES)('%s: refused in a script, nothing secret sent', async (_name, handler, proto, input) => {
    const result = await run(handler, proto, input);
    expect(result.code).toBe(13);
    expect(result.stderr).toMatch(/refusing to send credentials over a cleartext connection/);
    const sent = result.received.join('\n');
    expect(sent).not.toContain(SECRET);
    expect(sent).not.toContain(B64);
    expect(result.log).not.toContain(SECRET);
  });

  it.each(CASES)('%s, with --allow-plaintext-auth: sent, and redacted in echo and --log', async (_name, handler, proto, input) => {
    const result = await run(handler, proto, input, ['--allow-plaintext-auth']);
    const sent = result.received.join('\n');
    expect(sent.includes(SECRET) || sent.includes(B64)).toBe(true);
    for (const shown of [result.stdout, result.log]) {
      expect(shown).not.toContain(SECRET);
      expect(shown).not.toContain(B64);
      expect(shown).toContain('[redacted]');
    }
  });

  it('after AUTH with an initial response, the next line (QUIT) is shown as it is', async () => {
    const result = await run(smtpLying, 'smtp', `EHLO me\nAUTH PLAIN ${B64}\nQUIT\n`, ['--allow-plaintext-auth']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-> AUTH PLAIN \[redacted\]$/m);
    expect(result.stdout).toMatch(/^-> QUIT$/m);
  });
});
