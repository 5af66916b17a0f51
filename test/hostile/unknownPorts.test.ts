// Hazard: a port the port table does not know (3025, 10993, 2465 ...), with -plain or -tls
// and no -proto. The greeting says which protocol the server speaks, and mailprobe behaves
// exactly as with -proto: pacing (servers reject early talkers), the credential guard,
// redaction, check's greeting and certificate checks. Raw mode only when no greeting matches,
// and even then the common credential commands are guarded and redacted.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectLine, fakeServer, sleep, type FakeClient, type FakeServer, type ServerTls } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const servers: FakeServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function start(handler: (client: FakeClient) => Promise<void>, implicitTls?: ServerTls): Promise<FakeServer> {
  const server = await fakeServer(handler, { implicitTls });
  servers.push(server);
  return server;
}

/** Postfix-like: a client that talks before the (delayed) greeting is thrown out. */
async function strictSmtp(client: FakeClient): Promise<void> {
  let early = false;
  client.socket.once('data', () => (early = true));
  await sleep(300);
  if (early) {
    client.send('554 5.5.1 Error: improper command pipelining after CONNECT\r\n');
    return client.end();
  }
  client.send('220 mx.test ESMTP\r\n');
  for (;;) {
    const line = await client.line();
    if (/^EHLO/i.test(line)) {
      // The reply comes late: the next command must wait for it.
      await sleep(100);
      client.send('250-mx.test\r\n250 AUTH PLAIN\r\n');
    } else if (/^QUIT/i.test(line)) {
      client.send('221 bye\r\n');
      return client.end();
    } else client.send('250 ok\r\n');
  }
}

async function pop3(client: FakeClient): Promise<void> {
  client.send('+OK POP3 ready\r\n');
  for (;;) {
    const line = await client.line();
    if (/^QUIT/i.test(line)) {
      client.send('+OK bye\r\n');
      return client.end();
    }
    client.send('+OK\r\n');
  }
}

/** INN-like: AUTHINFO USER asks for the password, AUTHINFO PASS is accepted. */
async function nntp(client: FakeClient): Promise<void> {
  client.send('200 news.test InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n');
  for (;;) {
    const line = await client.line();
    if (/^QUIT/i.test(line)) {
      client.send('205 bye\r\n');
      return client.end();
    }
    if (/^AUTHINFO USER/i.test(line)) client.send('381 PASS required\r\n');
    else if (/^AUTHINFO PASS/i.test(line)) client.send('281 Authentication accepted\r\n');
    else if (/^LIST/i.test(line)) client.send('215 list follows\r\nmisc.test 3 1 y\r\n.\r\n');
    else client.send('500 What?\r\n');
  }
}

async function imap(client: FakeClient): Promise<void> {
  client.send('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
  for (;;) {
    const line = await client.line();
    const [tag, verb = ''] = line.split(' ');
    if (verb.toUpperCase() === 'CAPABILITY') client.send(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
    else if (verb.toUpperCase() === 'LOGOUT') {
      client.send(`* BYE\r\n${tag} OK bye\r\n`);
      return client.end();
    } else client.send(`${tag} OK done\r\n`);
  }
}

/** Speaks no mail protocol mailprobe knows. */
async function unknown(client: FakeClient): Promise<void> {
  client.send('HELLO from a test service\r\n');
  for (;;) {
    const line = await client.line();
    client.send(`you said: ${line.length} bytes\r\n`);
  }
}

describe('the greeting names the protocol on a port no table knows', () => {
  it('SMTP with -plain: recognised, paced (no early talk, each line after its reply), QUIT at the end', async () => {
    const server = await start(strictSmtp);
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain'], { input: 'EHLO me.test\nNOOP\n' });
    expect(result.stdout).toMatch(/the greeting is SMTP's, so mailprobe speaks SMTP \(as with -proto smtp\)/);
    expect(server.received).toEqual(['EHLO me.test', 'NOOP', 'QUIT']);
    expect(result.code).toBe(0);
  });

  it('POP3 with -plain: a typed PASS is a credential, refused in a script (exit 13)', async () => {
    const server = await start(pop3);
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain'], { input: 'USER bob\nPASS s3cret\n' });
    expect(result.code).toBe(13);
    expect(server.received.join('\n')).not.toContain('s3cret');
  });

  it('NNTP with -plain: recognised; a typed AUTHINFO PASS is a credential, refused in a script (exit 13)', async () => {
    const server = await start(nntp);
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain'], { input: 'LIST\nAUTHINFO USER bob\nAUTHINFO PASS s3cret\n' });
    expect(result.stdout).toMatch(/the greeting is NNTP's, so mailprobe speaks NNTP \(as with -proto nntp\)/);
    expect(result.code).toBe(13);
    expect(server.received).toEqual(['LIST', 'AUTHINFO USER bob']);
  });

  it('NNTP with -plain and --allow-plaintext-auth: AUTHINFO PASS and AUTHINFO SASL go, redacted in echo and --log', async () => {
    const server = await start(nntp);
    const log = join(mkdtempSync(join(tmpdir(), 'mp-nntp-')), 'session.log');
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '--allow-plaintext-auth', '--log', log], {
      input: 'AUTHINFO USER bob\nAUTHINFO PASS s3cret\nAUTHINFO SASL PLAIN AGJvYgBzM2NyZXQ=\n',
    });
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['AUTHINFO USER bob', 'AUTHINFO PASS s3cret', 'AUTHINFO SASL PLAIN AGJvYgBzM2NyZXQ=', 'QUIT']);
    const text = result.stdout + readFileSync(log, 'utf8');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('AGJvYgBzM2NyZXQ=');
    expect(result.stdout).toMatch(/^-> AUTHINFO PASS \[redacted\]$/m);
    expect(result.stdout).toMatch(/^-> AUTHINFO SASL PLAIN \[redacted\]$/m);
  });

  it('IMAP over implicit TLS on an odd port: recognised, commands tagged, LOGOUT at the end', async () => {
    const server = await start(imap, tlsOf(testPki().leaf));
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-CAfile', testPki().ca.cert], { input: 'NOOP\n' });
    expect(result.stdout).toMatch(/the greeting is IMAP's/);
    expect(server.received).toEqual(['a1 NOOP', 'a2 LOGOUT']);
    expect(result.code).toBe(0);
  });

  it('IRC over implicit TLS on an odd port: a server NOTICE names it, registration answered, QUIT at the end', async () => {
    const server = await fakeServer(async (client) => {
      client.send(':irc.example.net NOTICE * :*** Looking up your hostname...\r\n');
      await expectLine(client, /^NICK alice$/);
      await expectLine(client, /^USER alice 0 \* :A$/);
      // NICK + USER wait for the welcome (irc/registration.ts), as a real server sends it.
      client.send(':irc.example.net 001 alice :Welcome\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    }, { implicitTls: tlsOf(testPki().leaf) });
    servers.push(server);
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-CAfile', testPki().ca.cert], { input: 'NICK alice\nUSER alice 0 * :A\n' });
    expect(result.stdout).toMatch(/the greeting is IRC's/);
    expect(server.received).toEqual(['NICK alice', 'USER alice 0 * :A', 'QUIT']);
    expect(result.code).toBe(0);
  });

  it('check on an odd implicit-TLS port: the greeting is read at once and the certificate checked', async () => {
    const server = await start(imap, tlsOf(testPki().leaf));
    const started = Date.now();
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--tls', '--no-versions', '--CAfile', testPki().ca.cert]);
    expect(result.stdout).toMatch(/ok +greeting /);
    expect(result.stdout).toMatch(/ok +certificate\.chain /);
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('no greeting mailprobe knows: raw mode, still guarded', () => {
  it('says so, sends lines as typed, and redacts the common credential commands in echo and --log', async () => {
    const server = await start(unknown);
    const log = join(mkdtempSync(join(tmpdir(), 'mp-raw-')), 'session.log');
    const result = await runMailprobe(
      ['-connect', `127.0.0.1:${server.port}`, '-plain', '--allow-plaintext-auth', '--log', log, '-timeout', '2'],
      { input: 'a LOGIN bob s3cret\nPASS s3cret\nAUTH PLAIN AGJvYgBzM2NyZXQ=\nAUTHINFO PASS s3cret\nQUIT\n' },
    );
    expect(result.stdout).toMatch(/no greeting mailprobe knows/);
    const text = result.stdout + readFileSync(log, 'utf8');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('AGJvYgBzM2NyZXQ=');
    // The line after an AUTH with its initial response is not a credential.
    expect(result.stdout).toMatch(/^-> QUIT$/m);
  });

  it('refuses typed credentials on cleartext without --allow-plaintext-auth', async () => {
    const server = await start(unknown);
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-timeout', '2'], { input: 'PASS s3cret\n' });
    expect(result.code).toBe(13);
    expect(server.received.join('\n')).not.toContain('s3cret');
  });

  it('a TLS port whose server never speaks (HTTPS): cert does not wait, check says there is no greeting', async () => {
    const silent = async (client: FakeClient) => void (await client.line().catch(() => undefined));
    const server = await start(silent, tlsOf(testPki().leaf));
    const started = Date.now();
    const cert = await runMailprobe(['cert', `localhost:${server.port}`, '--tls', '--CAfile', testPki().ca.cert]);
    expect(cert.code).toBe(0);
    expect(cert.stdout).toMatch(/subject +CN=localhost/);
    // Below the 10 s a port with no known protocol waits for a greeting: cert never waits for one.
    expect(Date.now() - started).toBeLessThan(9_000);
    const check = await runMailprobe(['check', `localhost:${server.port}`, '--tls', '--no-versions', '--CAfile', testPki().ca.cert]);
    expect(check.stdout).toMatch(/fail +greeting +no greeting of a mail protocol mailprobe knows/);
    expect(check.stdout).toMatch(/ok +certificate\.chain /);
    expect(check.code).toBe(2);
  }, 30_000);
});
