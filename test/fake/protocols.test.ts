// Each protocol's STARTTLS dialogue and implicit TLS against fake servers: what mailprobe
// sends, in what order, and that capabilities are asked for again over TLS.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, sleep, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

async function session(handler: (client: FakeClient) => Promise<void>, args: string[], input = '', implicit = false) {
  const server = await fakeServer(handler, implicit ? { implicitTls: tlsOf(testPki().leaf) } : {});
  try {
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-CAfile', testPki().ca.cert, ...args], { input });
    expect(server.errors).toEqual([]);
    return { ...result, received: server.received };
  } finally {
    await server.close();
  }
}

describe('STARTTLS dialogues', () => {
  it('IMAP: greeting, CAPABILITY, tagged STARTTLS, CAPABILITY again, LOGOUT at the end', async () => {
    const result = await session(async (client) => {
      client.send('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n');
      await expectLine(client, /^a1 CAPABILITY$/);
      client.send('* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na1 OK done\r\n');
      await expectLine(client, /^a2 STARTTLS$/);
      client.send('a2 OK Begin TLS negotiation now\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^a3 CAPABILITY$/);
      client.send('* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na3 OK done\r\n');
      const fetch = await expectLine(client, /^x1 FETCH/);
      client.send(`* 1 FETCH (BODY[] {12}\r\nx1 OK fake\r\n)\r\n${fetch.split(' ')[0]} OK fetched\r\n`);
      await expectLine(client, /^a4 LOGOUT$/);
      client.send('* BYE logging out\r\na4 OK bye\r\n');
      client.end();
    }, ['-starttls', 'imap'], 'x1 FETCH 1 BODY[]\n');
    expect(result.code).toBe(0);
    expect(result.received).toEqual(['a1 CAPABILITY', 'a2 STARTTLS', 'a3 CAPABILITY', 'x1 FETCH 1 BODY[]', 'a4 LOGOUT']);
    expect(result.stdout).toContain('* CAPABILITY IMAP4rev1 AUTH=PLAIN');
    // The literal's content is shown, but its "x1 OK fake" did not end the FETCH early.
    expect(result.stdout).toMatch(/x1 OK fake\n\)\nx1 OK fetched/);
  });

  it('POP3: greeting, CAPA, STLS, CAPA again', async () => {
    const result = await session(async (client) => {
      client.send('+OK POP3 ready\r\n');
      await expectLine(client, /^CAPA$/);
      client.send('+OK\r\nSTLS\r\nUSER\r\n.\r\n');
      await expectLine(client, /^STLS$/);
      client.send('+OK Begin TLS\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^CAPA$/);
      client.send('+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n');
      await expectLine(client, /^LIST$/);
      client.send('+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('+OK bye\r\n');
      client.end();
    }, ['-starttls', 'pop3'], 'LIST\n');
    expect(result.code).toBe(0);
    expect(result.received).toEqual(['CAPA', 'STLS', 'CAPA', 'LIST', 'QUIT']);
    expect(result.stdout).toContain('SASL PLAIN LOGIN');
    expect(result.stdout).toMatch(/2 200\n\.\n/);
  });

  it('ManageSieve: capability greeting, STARTTLS, capabilities re-sent unasked', async () => {
    const result = await session(async (client) => {
      client.send('"IMPLEMENTATION" "fake sieve"\r\n"SASL" ""\r\n"STARTTLS"\r\nOK "ready"\r\n');
      await expectLine(client, /^STARTTLS$/);
      client.send('OK "Begin TLS"\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      client.send('"IMPLEMENTATION" "fake sieve"\r\n"SASL" "PLAIN"\r\nOK "TLS ok"\r\n');
      await expectLine(client, /^LISTSCRIPTS$/);
      client.send('"main" ACTIVE\r\nOK "listed"\r\n');
      await expectLine(client, /^LOGOUT$/);
      client.send('OK "bye"\r\n');
      client.end();
    }, ['-starttls', 'sieve'], 'LISTSCRIPTS\n');
    expect(result.code).toBe(0);
    expect(result.received).toEqual(['STARTTLS', 'LISTSCRIPTS', 'LOGOUT']);
    expect(result.stdout).toContain('"SASL" "PLAIN"');
    expect(result.stdout).toContain('OK "listed"');
  });

  it('NNTP: greeting, CAPABILITIES split across writes, STARTTLS, CAPABILITIES again, LIST, QUIT at the end', async () => {
    const result = await session(async (client) => {
      client.send('200 news.example.com InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n');
      await expectLine(client, /^CAPABILITIES$/);
      // The 101 list in pieces: its end is the lone ".", wherever the writes cut it.
      for (const piece of ['101 Capability list:\r\nVERS', 'ION 2\r\nREADER\r\nSTART', 'TLS\r\n.', '\r\n']) {
        client.send(piece);
        await sleep(20);
      }
      await expectLine(client, /^STARTTLS$/);
      client.send('382 Begin TLS negotiation now\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^CAPABILITIES$/);
      client.send('101 Capability list:\r\nVERSION 2\r\nREADER\r\nAUTHINFO USER\r\nSASL PLAIN\r\nLIST ACTIVE NEWSGROUPS\r\n.\r\n');
      await expectLine(client, /^LIST$/);
      client.send('215 list of newsgroups follows\r\nmisc.test 3002 3000 y\r\n..dotted.group 2 1 n\r\n.\r\n');
      await expectLine(client, /^GROUP misc.test$/);
      client.send('211 3 3000 3002 misc.test\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('205 closing connection\r\n');
      client.end();
    }, ['-starttls', 'nntp'], 'LIST\nGROUP misc.test\n');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.received).toEqual(['CAPABILITIES', 'STARTTLS', 'CAPABILITIES', 'LIST', 'GROUP misc.test', 'QUIT']);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.stdout).toContain('SASL PLAIN');
    // GROUP went only after LIST's block ended, and QUIT only after GROUP's 211.
    expect(result.stdout).toMatch(/\.\.dotted\.group 2 1 n\n\.\n-> GROUP misc\.test\n211 3 3000 3002 misc\.test\n=> QUIT/);
  });

  it('LMTP: LHLO, and one reply per accepted recipient after the final dot', async () => {
    const result = await session(async (client) => {
      client.send('220 lmtp ready\r\n');
      await expectLine(client, /^LHLO /);
      client.send('250-lmtp\r\n250 STARTTLS\r\n');
      await expectLine(client, /^STARTTLS$/);
      client.send('220 go\r\n');
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^LHLO /);
      client.send('250-lmtp\r\n250 8BITMIME\r\n');
      await expectLine(client, /^MAIL FROM/);
      client.send('250 ok\r\n');
      await expectLine(client, /^RCPT TO:<a@x>/);
      client.send('250 ok a\r\n');
      await expectLine(client, /^RCPT TO:<b@x>/);
      client.send('250 ok b\r\n');
      await expectLine(client, /^DATA$/);
      client.send('354 go\r\n');
      await expectLine(client, /^hello$/);
      await expectLine(client, /^\.$/);
      client.send('250 delivered to a\r\n');
      await new Promise((r) => setTimeout(r, 100));
      client.send('452 mailbox of b full\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    }, ['-starttls', 'lmtp'], 'MAIL FROM:<s@x>\nRCPT TO:<a@x>\nRCPT TO:<b@x>\nDATA\nhello\n.\n');
    expect(result.code).toBe(0);
    // QUIT waited for both per-recipient replies.
    expect(result.stdout).toMatch(/452 mailbox of b full\n=> QUIT/);
  });
});

describe('NNTP: a STARTTLS typed by hand', () => {
  const typed = (answer: string) => async (client: FakeClient) => {
    client.send('200 news ready\r\n');
    await expectLine(client, /^STARTTLS$/);
    client.send(answer);
    if (answer.startsWith('382')) {
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^CAPABILITIES$/);
      client.send('101 Capability list:\r\nVERSION 2\r\nAUTHINFO USER\r\n.\r\n');
    } else {
      await expectLine(client, /^DATE$/);
      client.send('111 20261130112233\r\n');
    }
    await expectLine(client, /^QUIT$/);
    client.send('205 bye\r\n');
    client.end();
  };

  it('382 is the go-ahead: the handshake starts', async () => {
    const result = await session(typed('382 Continue with TLS negotiation\r\n'), ['-plain', '-proto', 'nntp'], 'STARTTLS\nCAPABILITIES\n');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/382 Continue with TLS negotiation\n-- the server said go ahead: starting the TLS handshake\n/);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.received).toEqual(['STARTTLS', 'CAPABILITIES', 'QUIT']);
  });

  it.each(['580 Can not initiate TLS negotiation', '502 Command unavailable', '483 Encryption required'])('%s is no go-ahead: no handshake, the session goes on', async (refusal) => {
    const result = await session(typed(`${refusal}\r\n`), ['-plain', '-proto', 'nntp'], 'STARTTLS\nDATE\n');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/starting the TLS handshake/);
    expect(result.stdout).toContain('111 20261130112233');
    expect(result.received).toEqual(['STARTTLS', 'DATE', 'QUIT']);
  });
});

describe('NNTP: :auth over TLS', () => {
  const server = (capabilities: string) => async (client: FakeClient) => {
    // Logins are listed only over TLS, as INN does.
    let tls = false;
    client.send('200 news ready\r\n');
    for (;;) {
      const line = await client.line();
      if (line === 'CAPABILITIES') client.send(`101 Capability list:\r\nVERSION 2\r\n${tls ? capabilities : 'STARTTLS\r\n'}.\r\n`);
      else if (line === 'STARTTLS') {
        client.send('382 go ahead\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
        tls = true;
      } else if (line === 'AUTHINFO USER bob') client.send('381 PASS required\r\n');
      else if (line === 'AUTHINFO PASS s3cret') client.send('281 Authentication accepted\r\n');
      else if (line === 'AUTHINFO SASL LOGIN') client.send('383 VXNlcm5hbWU6\r\n');
      else if (line === Buffer.from('bob').toString('base64')) client.send('383 UGFzc3dvcmQ6\r\n');
      else if (line === Buffer.from('s3cret').toString('base64')) client.send('281 Authentication accepted\r\n');
      else if (line === 'QUIT') {
        client.send('205 bye\r\n');
        return client.end();
      } else client.send('481 Authentication failed\r\n');
    }
  };

  it('AUTHINFO USER/PASS when the server lists AUTHINFO USER and no SASL', async () => {
    const result = await session(server('AUTHINFO USER\r\n'), ['-starttls', 'nntp'], ':auth bob s3cret\n');
    expect(result.code).toBe(0);
    expect(result.received).toEqual(['CAPABILITIES', 'STARTTLS', 'CAPABILITIES', 'AUTHINFO USER bob', 'AUTHINFO PASS s3cret', 'QUIT']);
    expect(result.stdout).toMatch(/=> AUTHINFO PASS \[redacted\]\n281 Authentication accepted/);
    expect(result.stdout).not.toContain('s3cret');
  });

  it.each([
    ['AUTHINFO USER/PASS', 'AUTHINFO USER\r\n', ':auth bob wrong\n'],
    ['AUTHINFO SASL PLAIN', 'SASL PLAIN\r\n', ':auth PLAIN bob wrong\n'],
  ])('%s refused with 481: a failed login (exit 12 in a script)', async (_name, capabilities, input) => {
    const result = await session(server(capabilities), ['-starttls', 'nntp'], input);
    expect(result.code).toBe(12);
    expect(result.stdout).toContain('481 Authentication failed');
  });

  it('AUTHINFO SASL LOGIN: 383 challenges answered, 281 ends it', async () => {
    const result = await session(server('AUTHINFO\r\nSASL LOGIN\r\n'), ['-starttls', 'nntp'], ':auth LOGIN bob s3cret\n');
    expect(result.code).toBe(0);
    expect(result.received.slice(3)).toEqual(['AUTHINFO SASL LOGIN', Buffer.from('bob').toString('base64'), Buffer.from('s3cret').toString('base64'), 'QUIT']);
    expect(result.stdout).toContain('281 Authentication accepted');
    expect(result.stdout).not.toContain(Buffer.from('s3cret').toString('base64'));
  });
});

describe('implicit TLS', () => {
  it('handshakes at once on port-chosen TLS and reads the greeting over TLS', async () => {
    const result = await session(async (client) => {
      client.send('220 smtps ready\r\n');
      await expectLine(client, /^EHLO x$/);
      client.send('250-smtps\r\n250 AUTH PLAIN\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    }, ['-tls', '-proto', 'smtp'], 'EHLO x\n', true);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.stdout.indexOf('Verdict')).toBeLessThan(result.stdout.indexOf('220 smtps ready'));
    expect(result.received).toEqual(['EHLO x', 'QUIT']);
  });

  it('NNTP over implicit TLS (563): greeting over TLS, no STARTTLS, QUIT at the end', async () => {
    const result = await session(async (client) => {
      client.send('200 news ready\r\n');
      await expectLine(client, /^DATE$/);
      client.send('111 20261130112233\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('205 bye\r\n');
      client.end();
    }, ['-tls', '-proto', 'nntp'], 'DATE\n', true);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.received).toEqual(['DATE', 'QUIT']);
  });

  it('gives a one-line report with -brief and none with -quiet', async () => {
    const handler = async (client: FakeClient) => {
      client.send('* OK imaps ready\r\n');
      await expectLine(client, /LOGOUT$/);
      client.send('* BYE\r\na1 OK bye\r\n');
      client.end();
    };
    const brief = await session(handler, ['-tls', '-proto', 'imap', '-brief'], '', true);
    expect(brief.code).toBe(0);
    expect(brief.stdout).toMatch(/^TLS TLSv1\.3 TLS_AES_256_GCM_SHA384 X25519, 253 bits, cert CN=localhost, \d+ days left, verified$/m);
    expect(brief.stdout).not.toContain('SHA-256');
    const quiet = await session(handler, ['-tls', '-proto', 'imap', '-quiet'], '', true);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('* OK imaps ready\n* BYE\na1 OK bye\n');
  });
});
