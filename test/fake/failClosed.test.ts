// STARTTLS was asked for and cannot happen: mailprobe stops with exit 7 and never goes
// on in cleartext (nothing after the refusal reaches the server).
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type Handler } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

async function run(handler: Handler, args: string[]) {
  const server = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, ...args], { input: 'AUTH PLAIN AHVzZXIAcGFzcw==\nQUIT\n' });
    return { ...result, received: server.received };
  } finally {
    await server.close();
  }
}

const smtpWithEhlo = (ehlo: string, starttlsReply?: string): Handler => async (client) => {
  client.send('220 mx.test ESMTP\r\n');
  await expectLine(client, /^EHLO /);
  client.send(ehlo);
  if (!starttlsReply) return void (await client.line().catch(() => {}));
  await expectLine(client, /^STARTTLS$/);
  client.send(starttlsReply);
  await client.line().catch(() => {});
};

describe('fail closed', () => {
  const cases: { name: string; handler: Handler; args: string[]; message: RegExp; sent: string[] }[] = [
    {
      name: 'SMTP without STARTTLS in EHLO',
      handler: smtpWithEhlo('250-mx.test\r\n250-AUTH PLAIN\r\n250 SIZE 10\r\n'),
      args: ['-starttls', 'smtp'],
      message: /does not offer STARTTLS in its EHLO reply/,
      sent: ['EHLO [127.0.0.1]'],
    },
    {
      name: 'SMTP advertising XSTARTTLSX (not a whole keyword)',
      handler: smtpWithEhlo('250-mx.test\r\n250-XSTARTTLSX\r\n250 STARTTLSX\r\n'),
      args: ['-starttls', 'smtp'],
      message: /does not offer STARTTLS/,
      sent: ['EHLO [127.0.0.1]'],
    },
    {
      name: 'SMTP answering STARTTLS with 454',
      handler: smtpWithEhlo('250-mx.test\r\n250 STARTTLS\r\n', '454 4.7.0 TLS not available due to local problem\r\n'),
      args: ['-starttls', 'smtp'],
      message: /refused STARTTLS \(454\).*temporarily unavailable/,
      sent: ['EHLO [127.0.0.1]', 'STARTTLS'],
    },
    {
      name: 'SMTP answering STARTTLS with 502',
      handler: smtpWithEhlo('250-mx.test\r\n250 STARTTLS\r\n', '502 5.5.1 command not implemented\r\n'),
      args: ['-starttls', 'smtp'],
      message: /refused STARTTLS \(502\)/,
      sent: ['EHLO [127.0.0.1]', 'STARTTLS'],
    },
    {
      name: 'LMTP without STARTTLS in LHLO',
      handler: async (client) => {
        client.send('220 lmtp ready\r\n');
        await expectLine(client, /^LHLO /);
        client.send('250-lmtp\r\n250 PIPELINING\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'lmtp'],
      message: /does not offer STARTTLS in its LHLO reply/,
      sent: ['LHLO [127.0.0.1]'],
    },
    {
      name: 'IMAP PREAUTH greeting',
      handler: async (client) => {
        client.send('* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as root\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'imap'],
      message: /greeted with PREAUTH/,
      sent: [],
    },
    {
      name: 'IMAP without STARTTLS in CAPABILITY',
      handler: async (client) => {
        client.send('* OK ready\r\n');
        const line = await expectLine(client, /^a1 CAPABILITY$/);
        client.send(`* CAPABILITY IMAP4rev1 XSTARTTLS AUTH=PLAIN\r\n${line.split(' ')[0]} OK done\r\n`);
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'imap'],
      message: /does not offer STARTTLS in its CAPABILITY reply/,
      sent: ['a1 CAPABILITY'],
    },
    {
      name: 'IMAP answering STARTTLS with NO',
      handler: async (client) => {
        client.send('* OK ready\r\n');
        await expectLine(client, /^a1 CAPABILITY$/);
        client.send('* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\n');
        await expectLine(client, /^a2 STARTTLS$/);
        client.send('a2 NO not now\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'imap'],
      message: /refused STARTTLS \(NO\)/,
      sent: ['a1 CAPABILITY', 'a2 STARTTLS'],
    },
    {
      name: 'POP3 without STLS in CAPA',
      handler: async (client) => {
        client.send('+OK POP3 ready\r\n');
        await expectLine(client, /^CAPA$/);
        client.send('+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'pop3'],
      message: /does not offer STLS/,
      sent: ['CAPA'],
    },
    {
      name: 'POP3 answering STLS with -ERR',
      handler: async (client) => {
        client.send('+OK POP3 ready\r\n');
        await expectLine(client, /^CAPA$/);
        client.send('+OK\r\nSTLS\r\n.\r\n');
        await expectLine(client, /^STLS$/);
        client.send('-ERR TLS broken\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'pop3'],
      message: /refused STLS/,
      sent: ['CAPA', 'STLS'],
    },
    {
      name: 'ManageSieve without STARTTLS in its capabilities',
      handler: async (client) => {
        client.send('"IMPLEMENTATION" "fake"\r\n"SASL" "PLAIN"\r\nOK "ready"\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'sieve'],
      message: /does not offer STARTTLS in its capabilities/,
      sent: [],
    },
    {
      name: 'ManageSieve answering STARTTLS with NO',
      handler: async (client) => {
        client.send('"IMPLEMENTATION" "fake"\r\n"STARTTLS"\r\nOK "ready"\r\n');
        await expectLine(client, /^STARTTLS$/);
        client.send('NO "no TLS today"\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'sieve'],
      message: /refused STARTTLS/,
      sent: ['STARTTLS'],
    },
    ...(
      [
        // A server whose TLS fails lists tls and answers 691; one that knows no CAP answers
        // CAP as it answers STARTTLS; one that lists no tls has said so already (and
        // InspIRCd then never answers STARTTLS at all).
        ['691 (refused)', ':irc.test CAP * LS :multi-prefix tls\r\n:irc.test 691 * :STARTTLS failed\r\n', /refused STARTTLS \(691\)/],
        ['421 for STARTTLS (unknown command)', ':irc.test 421 * CAP :Unknown command\r\n:irc.test 421 * STARTTLS :Unknown command\r\n', /does not offer STARTTLS \(421/],
        ['451 for STARTTLS (not registered)', ':irc.test 451 * CAP :You have not registered\r\n:irc.test 451 * STARTTLS :You have not registered\r\n', /does not offer STARTTLS \(451/],
        ['nothing, its CAP LS listing no tls', ':irc.test CAP * LS :multi-prefix\r\n', /does not offer STARTTLS \(its CAP LS does not list tls\)/],
      ] as const
    ).map(([what, answer, message]) => ({
      name: `IRC answering STARTTLS with ${what}`,
      handler: (async (client) => {
        client.send(':irc.test NOTICE * :*** Looking up your hostname\r\n');
        await expectLine(client, /^CAP LS 302$/);
        await expectLine(client, /^STARTTLS$/);
        client.send(answer);
        await client.line().catch(() => {});
      }) as Handler,
      args: ['-starttls', 'irc'],
      message,
      sent: ['CAP LS 302', 'STARTTLS'],
    })),
    {
      name: 'LDAP answering StartTLS with unavailable (52)',
      handler: async (client) => {
        await new Promise((resolve) => client.socket.once('data', resolve));
        // LDAPMessage #1, extendedResp: resultCode 52, empty matchedDN and diagnosticMessage.
        client.send(Buffer.from('300c' + '020101' + '7807' + '0a0134' + '0400' + '0400', 'hex'));
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'ldap'],
      message: /refused StartTLS: unavailable \(52\)/,
      // The request is BER with no line ending: no line (nothing typed) reached the server.
      sent: [],
    },
    {
      name: 'NNTP without STARTTLS in CAPABILITIES',
      handler: async (client) => {
        client.send('200 news.test ready\r\n');
        await expectLine(client, /^CAPABILITIES$/);
        client.send('101 Capability list:\r\nVERSION 2\r\nREADER\r\nAUTHINFO USER\r\n.\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'nntp'],
      message: /does not offer STARTTLS in its CAPABILITIES reply/,
      sent: ['CAPABILITIES'],
    },
    {
      name: 'NNTP in transit mode (MODE-READER, no STARTTLS): the hint names MODE READER',
      handler: async (client) => {
        client.send('200 news.test InterNetNews server INN 2.6.4 ready (transit mode)\r\n');
        await expectLine(client, /^CAPABILITIES$/);
        client.send('101 Capability list:\r\nVERSION 2\r\nIHAVE\r\nMODE-READER\r\n.\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'nntp'],
      message: /does not offer STARTTLS in its CAPABILITIES reply[^]*lists MODE-READER[^]*MODE READER/,
      sent: ['CAPABILITIES'],
    },
    {
      name: 'NNTP without CAPABILITIES (500): no list, no STARTTLS',
      handler: async (client) => {
        client.send('200 news.test ready\r\n');
        await expectLine(client, /^CAPABILITIES$/);
        client.send('500 What?\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'nntp'],
      message: /does not answer CAPABILITIES \(500\), so STARTTLS is not offered/,
      sent: ['CAPABILITIES'],
    },
    ...(
      [
        ['features without <starttls/>', `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`, undefined, /does not offer STARTTLS in its stream features/],
        ['<failure/> to <starttls/>', `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>`, `<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>`, /refused STARTTLS \(<failure\/>\)/],
        ['a stream error to <starttls/>', `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>`, `<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`, /refused STARTTLS \(stream error policy-violation\)/],
      ] as const
    ).map(([what, features, answer, message]) => ({
      name: `XMPP: ${what}`,
      handler: (async (client) => {
        await expectLine(client, /^<\?xml version='1\.0'\?><stream:stream to='127\.0\.0\.1' /);
        client.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>${features}`);
        if (answer) {
          await expectLine(client, /^<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'\/>$/);
          client.send(answer);
        }
        await client.line().catch(() => {});
      }) as Handler,
      args: ['-starttls', 'xmpp'],
      message,
      sent: [
        "<?xml version='1.0'?><stream:stream to='127.0.0.1' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
        ...(answer ? ["<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"] : []),
      ],
    })),
    ...[
      ['580', '580 Can not initiate TLS negotiation'],
      ['502', '502 Command unavailable'],
      ['483', '483 Encryption or stronger authentication required'],
    ].map(([code, refusal]) => ({
      name: `NNTP answering STARTTLS with ${code}`,
      handler: (async (client) => {
        client.send('201 news.test ready (no posting)\r\n');
        await expectLine(client, /^CAPABILITIES$/);
        client.send('101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n');
        await expectLine(client, /^STARTTLS$/);
        client.send(`${refusal}\r\n`);
        await client.line().catch(() => {});
      }) as Handler,
      args: ['-starttls', 'nntp'],
      message: new RegExp(`refused STARTTLS \\(${code}\\)`),
      sent: ['CAPABILITIES', 'STARTTLS'],
    })),
    {
      name: 'FTP without AUTH TLS in FEAT',
      handler: async (client) => {
        client.send('220 fake FTP server ready\r\n');
        await expectLine(client, /^FEAT$/);
        client.send('211-Features:\r\n EPRT\r\n MDTM\r\n SIZE\r\n211 End\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'ftp'],
      message: /does not offer AUTH TLS in its FEAT reply/,
      sent: ['FEAT'],
    },
    {
      name: 'FTP listing AUTH SSL only (not a whole AUTH TLS)',
      handler: async (client) => {
        client.send('220 fake FTP server ready\r\n');
        await expectLine(client, /^FEAT$/);
        client.send('211-Features:\r\n AUTH SSL\r\n AUTH TLSX\r\n211 End\r\n');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'ftp'],
      message: /does not offer AUTH TLS in its FEAT reply/,
      sent: ['FEAT'],
    },
    ...[
      ['534', '534 Policy requires SSL.', /refused AUTH TLS \(534\)[^]*policy/],
      ['431', '431 Unable to accept security mechanism.', /refused AUTH TLS \(431\)[^]*certificate/],
      ['502', '502 Command not implemented.', /refused AUTH TLS \(502\)/],
      ['504', '504 Security mechanism not understood.', /refused AUTH TLS \(504\)/],
      ['500', '500 AUTH not understood', /refused AUTH TLS \(500\)/],
    ].map(([code, refusal, message]) => ({
      name: `FTP answering AUTH TLS with ${code as string}`,
      handler: (async (client) => {
        client.send('220 fake FTP server ready\r\n');
        await expectLine(client, /^FEAT$/);
        client.send('211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n');
        await expectLine(client, /^AUTH TLS$/);
        client.send(`${refusal as string}\r\n`);
        await client.line().catch(() => {});
      }) as Handler,
      args: ['-starttls', 'ftp'],
      message: message as RegExp,
      sent: ['FEAT', 'AUTH TLS'],
    })),
    {
      name: 'PostgreSQL answering the SSLRequest with N',
      handler: async (client) => {
        await new Promise((resolve) => client.socket.once('data', resolve));
        client.send('N');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'postgres', '-name', 'alice'],
      message: /does not offer TLS: it answered the SSLRequest with N/,
      // Binary messages make no lines: nothing typed, no StartupMessage (it would hold "alice\0").
      sent: [],
    },
    {
      name: 'PostgreSQL answering the SSLRequest with an ErrorResponse (a server older than SSL)',
      handler: async (client) => {
        await new Promise((resolve) => client.socket.once('data', resolve));
        client.send('E\0\0\0\x22SFATAL\0Munsupported protocol\0\0');
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'postgres'],
      message: /answered the SSLRequest with an error, so it offers no TLS/,
      sent: [],
    },
    {
      name: 'MySQL handshake without CLIENT_SSL',
      handler: async (client) => {
        // Protocol 10, "8.0.36", connection id 1, capability flags 0x0200 (no CLIENT_SSL 0x0800).
        const payload = Buffer.from('\x0a8.0.36\0\x01\0\0\0abcdefgh\0\x00\x02', 'latin1');
        client.send(Buffer.concat([Buffer.from([payload.length, 0, 0, 0]), payload]));
        await client.line().catch(() => {});
      },
      args: ['-starttls', 'mysql'],
      message: /does not offer TLS \(its handshake does not set CLIENT_SSL\)/,
      sent: [],
    },
  ];

  for (const c of cases) {
    it(`stops with exit 7: ${c.name}`, async () => {
      const result = await run(c.handler, c.args);
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(c.message);
      expect(result.stderr.split('\n')[0]).toMatch(/^mailprobe: /);
      expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
      // Nothing typed by the user (credentials, QUIT) ever went out in cleartext.
      expect(result.received).toEqual(c.sent);
    });
  }
});
