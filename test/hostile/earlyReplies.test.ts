// Hazard: replies queued before STARTTLS. A server (or a man in the middle) that sends a
// go-ahead and forged replies in the same packet as its capability answer, before mailprobe
// has sent STARTTLS, must not get them taken as the answers to STARTTLS or to what is sent
// over TLS. The rule holds for every protocol and every command that connects: at the
// moment STARTTLS would go out, a reply that answers no command is injection (exit 10 for a
// session and cert; a failed check), and STARTTLS is never sent.
import { afterAll, describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

/**
 * Per protocol: the dialogue up to the capability answer, with forged replies appended.
 * IRC and LDAP have no entry: their dialogue sends STARTTLS before it reads the server's
 * first byte, so there is no "before STARTTLS" to forge into; a forged 670 (a forged LDAP
 * success) is then just the answer, and what follows it is caught as injection after the
 * go-ahead (fake/irc.test.ts, fake/ldap.test.ts, which also stops an LDAP response to a
 * messageID never sent). PostgreSQL has none for the same reason (its SSLRequest is the
 * first byte sent; bytes after the S are fake/postgres.test.ts's). MySQL's SSL request is
 * owed no reply at all, so a forged packet after the handshake packet is caught here. A
 * STARTTLS typed by hand is covered below.
 */
const FORGERS: Record<string, (client: FakeClient) => Promise<void>> = {
  smtp: async (client) => {
    client.send('220 mx ESMTP\r\n');
    await expectLine(client, /^EHLO /);
    client.send('250-mx\r\n250 STARTTLS\r\n220 2.0.0 go ahead\r\n235 2.7.0 forged login ok\r\n250 2.1.0 forged\r\n');
  },
  lmtp: async (client) => {
    client.send('220 mx LMTP ready\r\n');
    await expectLine(client, /^LHLO /);
    client.send('250-mx\r\n250 STARTTLS\r\n220 2.0.0 go ahead\r\n250 forged\r\n');
  },
  imap: async (client) => {
    client.send('* OK ready\r\n');
    await expectLine(client, /^a1 CAPABILITY$/);
    client.send('* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK begin TLS\r\na3 OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] forged\r\n');
  },
  pop3: async (client) => {
    client.send('+OK ready\r\n');
    await expectLine(client, /^CAPA$/);
    client.send('+OK\r\nSTLS\r\nUSER\r\n.\r\n+OK begin TLS\r\n+OK forged\r\n');
  },
  nntp: async (client) => {
    client.send('200 news ready\r\n');
    await expectLine(client, /^CAPABILITIES$/);
    client.send('101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n382 Begin TLS negotiation now\r\n281 forged login ok\r\n');
  },
  ftp: async (client) => {
    client.send('220 fake FTP server ready\r\n');
    await expectLine(client, /^FEAT$/);
    client.send('211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n234 Proceed with negotiation.\r\n230 forged login ok\r\n');
  },
  mysql: async (client) => {
    // The handshake packet (protocol 10, CLIENT_SSL set), then a forged OK packet in the same write.
    const handshake = Buffer.from('\x0a8.0.36\0\x01\0\0\0abcdefgh\0\x00\x0a', 'latin1');
    const forged = Buffer.from('\0\0\0\x02\0\0\0forged login ok', 'latin1');
    client.send(Buffer.concat([Buffer.from([handshake.length, 0, 0, 0]), handshake, Buffer.from([forged.length, 0, 0, 1]), forged]));
  },
  xmpp: async (client) => {
    await expectLine(client, /<stream:stream to=/);
    client.send(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>" +
        "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>" +
        "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>forged</success>",
    );
  },
  sieve: async (client) => {
    client.send('"IMPLEMENTATION" "fake"\r\n"STARTTLS"\r\nOK "ready"\r\nOK "Begin TLS"\r\n"SASL" "PLAIN"\r\nOK "forged"\r\n');
  },
};

/** Every command that connects with STARTTLS, as argv (the target and -starttls follow). */
const COMMANDS: Record<string, { argv: string[]; input?: string; protocols?: string[] }> = {
  session: { argv: [], input: 'NOOP\n' },
  check: { argv: ['check', '--no-versions'] },
  cert: { argv: ['cert'] },
  // load speaks SMTP (LMTP with --lmtp over a plain connection).
  load: { argv: ['load', '-n', '2'], protocols: ['smtp'] },
};

const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function run(protocol: string, command: string) {
  const server = await fakeServer(async (client) => {
    await FORGERS[protocol](client);
    // Nothing more may come: a STARTTLS here would mean the forged go-ahead was queued.
    await client.line().catch(() => undefined);
  });
  servers.push(server);
  const { argv, input } = COMMANDS[command];
  const starttls = argv.length > 0 ? '--starttls' : '-starttls';
  const result = await runMailprobe([...argv, `localhost:${server.port}`, starttls, protocol, '-timeout', '5', argv.length > 0 ? '--CAfile' : '-CAfile', testPki().ca.cert], {
    input,
  });
  return { ...result, received: server.received };
}

describe('replies that answer no command, before STARTTLS', () => {
  for (const protocol of Object.keys(FORGERS)) {
    for (const command of Object.keys(COMMANDS).filter((name) => COMMANDS[name].protocols?.includes(protocol) ?? true)) {
      it(`${protocol}, ${command}: injection, STARTTLS never sent, nothing forged believed`, async () => {
        const result = await run(protocol, command);
        expect(result.received.some((line) => /STARTTLS|STLS|^AUTH TLS/i.test(line))).toBe(false);
        const output = result.stdout + result.stderr;
        expect(output).toMatch(/STARTTLS response injection/);
        expect(output).not.toMatch(/Verdict verified|forged login ok.*ok|logged in/);
        if (command === 'check') {
          expect(result.code).toBe(2);
          expect(result.stdout).toMatch(/fail +tls\.starttls +.*injection/);
        } else if (command === 'load') {
          // No connection could be set up: could not run (3), and nothing was sent.
          expect(result.code).toBe(3);
          expect(result.received.some((line) => /^(MAIL|AUTH)/i.test(line))).toBe(false);
        } else {
          expect(result.code).toBe(10);
          // The forged bytes are shown escaped, as evidence.
          expect(result.stderr).toMatch(/bytes received \(\d+\): .*forged|bytes received \(\d+\): .*go ahead|bytes received \(\d+\): .*begin TLS|bytes received \(\d+\): .*Begin TLS/i);
        }
      });
    }
  }

  it('a STARTTLS typed by hand after a stray reply: stopped before it is sent', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 mx ESMTP\r\n');
      await expectLine(client, /^EHLO /);
      client.send('250-mx\r\n250 STARTTLS\r\n220 go ahead (forged)\r\n');
      await client.line().catch(() => undefined);
    });
    servers.push(server);
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'smtp'], { input: 'EHLO me\nSTARTTLS\nQUIT\n' });
    expect(result.code).toBe(10);
    expect(server.received).toEqual(['EHLO me']);
    expect(result.stderr.match(/answer no command before STARTTLS/g)).toHaveLength(1);
  });

  it('IRC: a STARTTLS typed by hand after a forged 670 that answers nothing: stopped before it is sent', async () => {
    const server = await fakeServer(async (client) => {
      client.send(':irc.example.net NOTICE * :*** Looking up your hostname\r\n:irc.example.net 670 * :go ahead (forged)\r\n');
      await client.line().catch(() => undefined);
    });
    servers.push(server);
    // IRC has no greeting, so a line given at once could go out before the 670 arrives:
    // typed once the 670 is on screen, as the title says.
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'irc'], { input: 'STARTTLS\nQUIT\n', typeAfter: /670 \* :go ahead/ });
    expect(result.code).toBe(10);
    expect(server.received).toEqual([]);
    expect(result.stderr).toMatch(/answer no command before STARTTLS/);
  });
});

describe('XMPP: a <starttls/> typed by hand', () => {
  it('after a forged <proceed/> that answers nothing: stopped before it is sent; a presence alone is no sign of injection', async () => {
    const header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>";
    const features = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";
    const run = async (extra: string) => {
      const server = await fakeServer(async (client) => {
        await expectLine(client, /<stream:stream to=/);
        client.send(`${header}${features}<presence from='a@b'/>${extra}`);
        const line = await client.line().catch(() => undefined);
        if (line?.startsWith('<starttls')) client.send("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        await client.line().catch(() => undefined);
      });
      servers.push(server);
      const typed = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n";
      const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'xmpp', '-timeout', '5'], { input: typed });
      return { ...result, received: server.received };
    };
    const forged = await run("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    expect(forged.code).toBe(10);
    expect(forged.received).toHaveLength(1);
    expect(forged.stderr).toMatch(/answer no command before <starttls/);
    // The same without the forged <proceed/>: the <starttls/> goes out (and is refused here).
    const clean = await run('');
    expect(clean.received[1]).toBe("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    expect(clean.stderr).not.toMatch(/injection/);
  });
});

describe('IMAP: a tagged line ends only the command that carries its tag', () => {
  it('a foreign tagged OK inside the CAPABILITY answer does not hide STARTTLS', async () => {
    const server = await fakeServer(async (client) => {
      client.send('* OK ready\r\n');
      await expectLine(client, /^a1 CAPABILITY$/);
      client.send('2 OK foreign\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n');
      await expectLine(client, /^a2 STARTTLS$/);
      client.send('a2 OK begin TLS\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^a3 CAPABILITY$/);
      client.send('* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na3 OK done\r\n');
      await expectLine(client, /^a4 LOGOUT$/);
      client.send('* BYE\r\na4 OK bye\r\n');
      client.end();
    });
    servers.push(server);
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'imap', '-CAfile', testPki().ca.cert], { input: '' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
  });

  it('"zz OK begin TLS" is no go-ahead for "a2 STARTTLS": no handshake, the reply is waited for', async () => {
    const server = await fakeServer(async (client) => {
      client.send('* OK ready\r\n');
      await expectLine(client, /^a1 CAPABILITY$/);
      client.send('* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n');
      await expectLine(client, /^a2 STARTTLS$/);
      client.send('zz OK begin TLS\r\n');
      await client.line().catch(() => undefined);
    });
    servers.push(server);
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'imap', '-timeout', '1'], { input: '' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/no STARTTLS reply from the server after 1 s/);
    expect(result.stdout).not.toMatch(/STARTTLS accepted/);
  });
});

describe('a first line that is no greeting is reported at once', () => {
  it.each([
    ['imap', '220 mx.example.com ESMTP\r\n', /unexpected IMAP greeting/],
    ['sieve', '* OK IMAP ready\r\n', /unexpected ManageSieve greeting/],
    ['pop3', '220 mx.example.com ESMTP\r\n', /unexpected POP3 greeting/],
    ['smtp', '* OK IMAP ready\r\n', /unexpected greeting/],
    ['nntp', '220 mx.example.com ESMTP\r\n', /unexpected NNTP greeting/],
    ['ftp', '* OK IMAP ready\r\n', /unexpected FTP greeting/],
    ['ftp', '200 news.example.com ready\r\n', /unexpected FTP greeting: expected 220, got 200/],
  ])('-starttls %s against %j', async (protocol, greeting, message) => {
    const server = await fakeServer(async (client) => {
      client.send(greeting);
      await client.line().catch(() => undefined);
    });
    servers.push(server);
    const started = Date.now();
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', protocol, '-timeout', '20'], { input: '' });
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(message);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('a greeting that refuses service ends the session with a clear error', () => {
  it.each([
    ['400 news.example.com service temporarily unavailable\r\n', 400],
    ['502 access denied: no permission for your address\r\n', 502],
  ])('-starttls nntp against %j', async (greeting, code) => {
    const server = await fakeServer(async (client) => {
      client.send(greeting);
      await client.line().catch(() => undefined);
    });
    servers.push(server);
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'nntp', '-timeout', '20'], { input: 'LIST\n' });
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(new RegExp(`refused service in its greeting \\(${code}\\)`));
    expect(server.received).toEqual([]);
  });
});
