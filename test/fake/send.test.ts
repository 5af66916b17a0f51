// mailprobe send against in-process fake servers: STARTTLS + AUTH + a message, the exit
// code of each failing stage, the credential policy, --quit-after, --suppress-data,
// --pipeline, swaks' transcript marks, escaping, and LMTP's reply per recipient.
import { afterAll, describe, expect, it } from 'vitest';
import { fakeDns, mxRecord } from '../support/fakeDns.js';
import { fakeServer, type FakeClient, type FakeServer } from '../support/fakeServer.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { runMailprobe } from '../support/runMailprobe.js';

const pki = testPki();
const servers: FakeServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

interface Script {
  banner?: string;
  ehlo?: string;
  starttls?: boolean;
  pipelining?: boolean;
  lmtp?: boolean;
  auth?: string;
  mail?: string;
  rcpt?: (address: string) => string;
  data?: string;
  /** The reply after the dot; for LMTP, one per accepted recipient, in order. */
  final?: string[];
}

interface Seen {
  /** Decoded AUTH PLAIN credentials. */
  auth: string[];
  /** Message content, as received (CRLF, dot-stuffed). */
  content: string[];
  /** Lines the client had sent before the server answered MAIL (PIPELINING). */
  beforeMailReply: string[];
}

function smtp(script: Script, seen: Seen): (client: FakeClient) => Promise<void> {
  return async (client) => {
    client.send(script.banner ?? `220 fake ${script.lmtp ? 'LMTP' : 'ESMTP'} ready\r\n`);
    let tls = false;
    let accepted = 0;
    for (;;) {
      const line = await client.line();
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'EHLO' || verb === 'LHLO') {
        const keywords = [...(script.starttls && !tls ? ['STARTTLS'] : []), ...(script.pipelining ? ['PIPELINING'] : []), 'AUTH PLAIN LOGIN'];
        client.send(script.ehlo ?? `250-fake greets you\r\n${keywords.map((k, i) => `250${i === keywords.length - 1 ? ' ' : '-'}${k}\r\n`).join('')}`);
      } else if (verb === 'STARTTLS') {
        client.send('220 2.0.0 go ahead\r\n');
        await client.upgrade(tlsOf(pki.leaf));
        tls = true;
      } else if (verb === 'AUTH') {
        const initial = line.split(' ')[2];
        if (initial) seen.auth.push(Buffer.from(initial, 'base64').toString('latin1'));
        client.send(script.auth ?? '235 2.7.0 Authentication successful\r\n');
      } else if (verb === 'MAIL') {
        if (script.pipelining) {
          // Wait a moment: a pipelining client has sent RCPT and DATA already.
          await new Promise((resolve) => setTimeout(resolve, 150));
          seen.beforeMailReply.push(...client.raw.slice(client.raw.findIndex((raw) => raw.startsWith('MAIL')) + 1).map((raw) => raw.trim()));
        }
        client.send(script.mail ?? '250 2.1.0 Ok\r\n');
      } else if (verb === 'RCPT') {
        const reply = script.rcpt?.(line) ?? '250 2.1.5 Ok\r\n';
        if (reply.startsWith('2')) accepted++;
        client.send(reply);
      } else if (verb === 'DATA') {
        const reply = script.data ?? '354 End data with <CR><LF>.<CR><LF>\r\n';
        client.send(reply);
        if (!reply.startsWith('354')) continue;
        const content: string[] = [];
        for (let next = await client.line(); next !== '.'; next = await client.line()) content.push(next);
        seen.content.push(content.join('\r\n'));
        const finals = script.final ?? Array.from({ length: script.lmtp ? accepted : 1 }, () => '250 2.0.0 Ok: queued as ABC123\r\n');
        client.send(finals.join(''));
      } else if (verb === 'QUIT') {
        client.send('221 2.0.0 Bye\r\n');
        return client.end();
      } else client.send('250 ok\r\n');
    }
  };
}

async function start(script: Script = {}): Promise<{ server: FakeServer; seen: Seen }> {
  const seen: Seen = { auth: [], content: [], beforeMailReply: [] };
  const server = await fakeServer(smtp(script, seen));
  servers.push(server);
  return { server, seen };
}

const send = (server: FakeServer, ...args: string[]) =>
  runMailprobe(['send', '--server', `localhost:${server.port}`, '-CAfile', pki.ca.cert, '--to', 'rcpt@example.net', '--from', 'me@example.org', ...args], {
    env: { MAILPROBE_PASSWORD: '' },
  });

describe('mailprobe send', () => {
  it('STARTTLS, AUTH and a message: swaks marks, the password redacted, exit 0', async () => {
    const { server, seen } = await start({ starttls: true });
    const result = await send(server, '--tls', '-au', 'bob', '-ap', 's3cret-pw', '--header', 'Subject: hello', '--body', 'the body');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/^\*\*\* Connected to 127\.0\.0\.1:\d+\.$/m);
    expect(out).toMatch(/^<- 220 fake ESMTP ready$/m);
    expect(out).toMatch(/^-> EHLO /m);
    expect(out).toMatch(/^-> STARTTLS$/m);
    expect(out).toMatch(/^<- 220 2\.0\.0 go ahead$/m);
    expect(out).toMatch(/^\*\*\* TLS started: TLSv1\.3 .*; certificate verified$/m);
    expect(out).toMatch(/^~> EHLO /m);
    expect(out).toMatch(/^~> AUTH PLAIN \[redacted\]$/m);
    expect(out).toMatch(/^<~ 235 2\.7\.0 Authentication successful$/m);
    expect(out).toMatch(/^~> MAIL FROM:<me@example\.org>$/m);
    expect(out).toMatch(/^~> RCPT TO:<rcpt@example\.net>$/m);
    expect(out).toMatch(/^~> Subject: hello$/m);
    expect(out).toMatch(/^~> the body$/m);
    expect(out).toMatch(/^~> \.$/m);
    expect(out).toMatch(/^<~ 250 2\.0\.0 Ok: queued as ABC123$/m);
    expect(out).toMatch(/^\*\*\* queued as ABC123$/m);
    expect(out).toMatch(/^~> QUIT$/m);
    // Nothing after STARTTLS is marked as cleartext.
    expect(out.slice(out.indexOf('TLS started')).match(/^(->|<-) /m)).toBeNull();
    expect(out).not.toContain('s3cret-pw');
    expect(out).not.toContain(Buffer.from('\0bob\0s3cret-pw').toString('base64'));
    expect(seen.auth).toEqual(['\0bob\0s3cret-pw']);
    expect(seen.content[0]).toMatch(/^Subject: hello$/m);
  });

  it('every answer to an AUTH LOGIN challenge is redacted', async () => {
    const seen: string[] = [];
    const server = await fakeServer(async (client) => {
      client.send('220 fake ESMTP\r\n');
      for (;;) {
        const line = await client.line();
        seen.push(line);
        if (line.startsWith('EHLO')) client.send('250-fake\r\n250 AUTH LOGIN\r\n');
        else if (line === 'AUTH LOGIN') {
          client.send('334 VXNlcm5hbWU6\r\n');
          seen.push(await client.line());
          client.send('334 UGFzc3dvcmQ6\r\n');
          seen.push(await client.line());
          client.send('235 ok\r\n');
        } else if (line === 'QUIT') return void client.send('221 bye\r\n');
        else client.send('250 ok\r\n');
      }
    });
    servers.push(server);
    const result = await send(server, '-au', 'bob', '-ap', 'pw-login', '-a', 'LOGIN', '--allow-plaintext-auth', '-q', 'auth');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-> AUTH LOGIN\n<- 334 VXNlcm5hbWU6\n-> \[redacted\]\n<- 334 UGFzc3dvcmQ6\n-> \[redacted\]\n<- 235 ok$/m);
    expect(result.stdout).not.toContain(Buffer.from('pw-login').toString('base64'));
    expect(seen).toContain(Buffer.from('pw-login').toString('base64'));
  });

  it.each([
    ['banner', { banner: '554 5.3.2 go away\r\n' }, [], 21, /^mailprobe: banner failed \(exit 21\)/m],
    ['EHLO', { ehlo: '550 5.7.1 who are you\r\n' }, [], 22, /^mailprobe: EHLO failed \(exit 22\)/m],
    ['STARTTLS not offered', {}, ['--tls'], 7, /^mailprobe: TLS failed \(exit 7\): the server does not offer STARTTLS.*; leave out --tls/m],
    ['AUTH', { starttls: true, auth: '535 5.7.8 bad password\r\n' }, ['--tls', '-au', 'bob', '-ap', 'pw'], 12, /^mailprobe: AUTH failed \(exit 12\): authentication as bob with PLAIN failed/m],
    ['MAIL', { mail: '550 5.7.1 sender refused\r\n' }, [], 23, /^mailprobe: MAIL failed \(exit 23\): the server refused MAIL FROM \(550\)/m],
    ['RCPT', { rcpt: () => '550 5.1.1 no such user\r\n' }, [], 24, /^mailprobe: RCPT failed \(exit 24\): the server refused RCPT TO:<rcpt@example\.net> \(550\)/m],
    ['DATA', { data: '554 5.5.1 no\r\n' }, [], 25, /^mailprobe: DATA failed \(exit 25\): the server refused DATA \(554\)/m],
    ['the message', { final: ['552 5.3.4 too big\r\n'] }, [], 26, /^mailprobe: end of DATA failed \(exit 26\): the server refused the message after the final dot \(552\)/m],
  ] as const)('a refused %s exits with the code of its stage and names the stage', async (_, script, args, code, message) => {
    const { server } = await start(script as Script);
    const result = await send(server, ...args);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
    // A refused STARTTLS ends inside the connection core, which closes without QUIT.
    if (code !== 7) expect(result.stdout).toMatch(/^(->|~>) QUIT$/m);
  });

  it('a closed port is exit 4, and names connect', async () => {
    const { server } = await start();
    const port = server.port;
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    const result = await runMailprobe(['send', '-s', `127.0.0.1:${port}`, '-t', 'a@example.net']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^mailprobe: connect failed \(exit 4\)/m);
  });

  it('AUTH over cleartext is refused (13) without --allow-plaintext-auth: nothing is sent', async () => {
    const { server, seen } = await start();
    const result = await send(server, '-au', 'bob', '-ap', 'pw');
    expect(result.code).toBe(13);
    expect(result.stderr).toMatch(/AUTH failed \(exit 13\): refusing to send credentials over a cleartext connection; use --tls \(STARTTLS\) or --tlsc/);
    expect(server.received.some((line) => line.startsWith('AUTH'))).toBe(false);
    expect(seen.auth).toEqual([]);
    const allowed = await send(server, '-au', 'bob', '-ap', 'pw', '--allow-plaintext-auth');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^-> AUTH PLAIN \[redacted\]$/m);
  });

  it('--quit-after rcpt sends no DATA', async () => {
    const { server, seen } = await start();
    const result = await send(server, '--quit-after', 'rcpt', '-t', 'second@example.net');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\*\*\* quitting after rcpt as asked/m);
    expect(server.received.filter((line) => line.startsWith('RCPT'))).toHaveLength(2);
    expect(server.received).not.toContain('DATA');
    expect(server.received.at(-1)).toBe('QUIT');
    expect(seen.content).toEqual([]);
  });

  it('--quit-after banner reads the banner and sends nothing but QUIT, even with --tls', async () => {
    const { server } = await start({ starttls: true });
    const result = await send(server, '--tls', '-q', 'banner');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['QUIT']);
  });

  it('--suppress-data shows the size of the content instead of the content', async () => {
    const { server, seen } = await start();
    const result = await send(server, '--suppress-data', '--body', 'secret body text');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('secret body text');
    expect(result.stdout).not.toMatch(/^-> Subject:/m);
    expect(result.stdout).toMatch(/^\*\*\* message content not shown \(--suppress-data\): \d+ bytes, \d+ lines$/m);
    expect(result.stdout).toMatch(/^-> \.$/m);
    expect(seen.content[0]).toContain('secret body text');
  });

  it('--pipeline sends MAIL, RCPT and DATA together when PIPELINING is offered', async () => {
    const { server, seen } = await start({ pipelining: true });
    const result = await send(server, '--pipeline', '-t', 'two@example.net');
    expect(result.code).toBe(0);
    expect(seen.beforeMailReply).toEqual(['RCPT TO:<rcpt@example.net>', 'RCPT TO:<two@example.net>', 'DATA']);
    const plain = await start({ pipelining: true });
    await send(plain.server, '-t', 'two@example.net');
    expect(plain.seen.beforeMailReply).toEqual([]);
  });

  it('server bytes are escaped in the transcript', async () => {
    const { server } = await start({ banner: '220 fake \x1b[31mred\x07 ESMTP\r\n' });
    const result = await send(server, '-q', 'banner');
    expect(result.code).toBe(0);
    expect(result.stdoutBytes.includes(0x1b)).toBe(false);
    expect(result.stdoutBytes.includes(0x07)).toBe(false);
    expect(result.stdout).toMatch(/^<- 220 fake \\e\[31mred\\a ESMTP$/m);
    // Message content shown as it goes out is escaped too (a body file may hold anything).
    const body = await send(server, '--body', 'x\x1b]0;title\x07y\u202ez');
    expect(body.code).toBe(0);
    expect(body.stdoutBytes.includes(0x1b)).toBe(false);
    expect(body.stdout).toMatch(/^-> x\\e\]0;title\\ay/m);
  });

  it('--tlsc: TLS from the first byte, every line marked as inside TLS', async () => {
    const seen: Seen = { auth: [], content: [], beforeMailReply: [] };
    const server = await fakeServer(smtp({}, seen), { implicitTls: tlsOf(pki.leaf) });
    servers.push(server);
    const result = await send(server, '--tlsc', '-au', 'bob', '-ap', 'pw');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\*\*\* Trying localhost:\d+ \(implicit TLS SMTP\)\.\.\.$/m);
    expect(result.stdout).toMatch(/^\*\*\* TLS started: .*certificate verified$/m);
    expect(result.stdout).toMatch(/^<~ 220 fake ESMTP ready$/m);
    expect(result.stdout).toMatch(/^~> AUTH PLAIN \[redacted\]$/m);
    expect(result.stdout).not.toMatch(/^(->|<-) /m);
    expect(seen.auth).toEqual(['\0bob\0pw']);
  });

  it('--protocol SMTP says HELO; --data sends the file as it is (CRLF and dot-stuffing only)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'mailprobe-send-data-')), 'message.eml');
    writeFileSync(file, 'Subject: from a file\n\nline\n.starts with a dot\n');
    const { server, seen } = await start();
    const result = await send(server, '--protocol', 'SMTP', '--data', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-> HELO /m);
    expect(server.received.some((line) => line.startsWith('EHLO'))).toBe(false);
    // The fake joins the lines it read with CRLF: each line arrived CRLF-ended, the dot doubled.
    expect(seen.content).toEqual(['Subject: from a file\r\n\r\nline\r\n..starts with a dot']);
    expect(server.received.filter((line) => line.startsWith('Subject')).length).toBe(1);
  });

  it('LMTP with two recipients reads one reply per recipient after the dot', async () => {
    const ok = await start({ lmtp: true, final: ['250 2.0.0 <a> delivered\r\n', '250 2.0.0 <b> delivered\r\n'] });
    const result = await send(ok.server, '--protocol', 'LMTP', '-t', 'second@example.net');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-> LHLO /m);
    expect(result.stdout).toMatch(/^<- 250 2\.0\.0 <a> delivered\n<- 250 2\.0\.0 <b> delivered$/m);
    const one = await start({ lmtp: true, final: ['250 2.0.0 <a> delivered\r\n', '452 4.2.2 <b> mailbox full\r\n'] });
    const refused = await send(one.server, '--protocol', 'LMTP', '-t', 'second@example.net');
    expect(refused.code).toBe(26);
    expect(refused.stderr).toMatch(/end of DATA failed \(exit 26\).*\(452\)/);
  });
});

describe('mailprobe send without --server (a fake resolver given with --resolver: no real DNS)', () => {
  const resolvers: Array<() => void> = [];
  afterAll(() => resolvers.forEach((close) => close()));
  async function resolverWith(zone: Parameters<typeof fakeDns>[0]): Promise<string> {
    const dns = await fakeDns(zone);
    resolvers.push(dns.close);
    return dns.address;
  }

  it('connects to the lowest-preference MX, and on to the next when it cannot connect', async () => {
    const { server } = await start();
    const resolver = await resolverWith((q) => ({ answers: q.type === 'MX' ? [mxRecord(q.name, 20, 'localhost'), mxRecord(q.name, 5, '127.0.0.1')] : [] }));
    const result = await runMailprobe(['send', '-t', 'user@example.test', '-p', String(server.port), '-q', 'ehlo', '--resolver', resolver]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\*\*\* MX for example\.test: 127\.0\.0\.1, localhost$/m);
    expect(result.stdout).toMatch(/^\*\*\* Trying 127\.0\.0\.1:\d+ /m);

    const closed = await start();
    const port = closed.server.port;
    await closed.server.close();
    const twoMx = await resolverWith((q) => ({ answers: q.type === 'MX' ? [mxRecord(q.name, 5, '127.0.0.1'), mxRecord(q.name, 10, '127.0.0.2')] : [] }));
    const next = await runMailprobe(['send', '-t', 'user@example.test', '-p', String(port), '-q', 'banner', '--resolver', twoMx]);
    expect(next.stdout).toMatch(/trying the next MX/);
    expect(next.stdout).toMatch(/^\*\*\* Trying 127\.0\.0\.2:/m);
  });

  it('NXDOMAIN is one line on stderr and exit 3, no stack trace', async () => {
    const resolver = await resolverWith(() => ({ rcode: 'NXDOMAIN' }));
    const result = await runMailprobe(['send', '-t', 'user@nowhere.test', '--resolver', resolver]);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('mailprobe: connect failed (exit 3): the domain nowhere.test does not exist (NXDOMAIN); give the server with --server HOST[:PORT], or another resolver with --resolver IP\n');
    expect(result.stdout).toBe('');
  });
});
