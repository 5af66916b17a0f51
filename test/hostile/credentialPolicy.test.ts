// Hazard: credentials sent where they can be read or taken by an impostor. One policy for
// every command that can log in — the session's :auth and typed lines, check --user,
// load --user — over every protocol: cleartext needs --allow-plaintext-auth, a certificate
// that did not verify needs --insecure; otherwise the same refusal and exit 13, and not one
// credential byte leaves. IMAP LOGIN never goes to a server that says LOGINDISABLED.
import { afterAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient, type FakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const SECRET = 's3cret-pa55';
const B64 = Buffer.from(`\0bob\0${SECRET}`).toString('base64');
// FTP's AUTH TLS asks for TLS, not a login.
const leaks = (lines: string[]) =>
  lines.filter((line) => line.includes(SECRET) || line.includes(B64) || (/^(\S+ )?(AUTH|AUTHENTICATE|LOGIN|PASS|AUTHINFO PASS|AUTHINFO SASL)\b/i.test(line) && !/^AUTH TLS$/i.test(line)));

/** Answers like a permissive server of each protocol: STARTTLS, AUTH PLAIN, everything accepted. */
const SERVERS: Record<string, (client: FakeClient) => Promise<void>> = {
  async smtp(client) {
    client.send('220 mx ESMTP\r\n');
    for (;;) {
      const line = await client.line();
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'EHLO') client.send('250-mx\r\n250-STARTTLS\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n');
      else if (verb === 'STARTTLS') {
        client.send('220 go ahead\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
      } else if (verb === 'AUTH') client.send(line.split(' ').length > 2 ? '235 2.7.0 ok\r\n' : '334 \r\n');
      else if (verb === 'DATA') client.send('354 go\r\n');
      else if (verb === 'QUIT') {
        client.send('221 bye\r\n');
        return client.end();
      } else client.send('250 ok\r\n');
    }
  },
  async imap(client) {
    client.send('* OK ready\r\n');
    for (;;) {
      const line = await client.line();
      const [tag, verb = ''] = line.split(' ');
      if (verb.toUpperCase() === 'CAPABILITY') client.send(`* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\n${tag} OK done\r\n`);
      else if (verb.toUpperCase() === 'STARTTLS') {
        client.send(`${tag} OK begin TLS\r\n`);
        await client.upgrade(tlsOf(testPki().leaf));
      } else if (verb.toUpperCase() === 'LOGOUT') {
        client.send(`* BYE\r\n${tag} OK bye\r\n`);
        return client.end();
      } else client.send(`${tag} OK done\r\n`);
    }
  },
  async sieve(client) {
    const capabilities = (tls: boolean) => `"IMPLEMENTATION" "fake"\r\n"SASL" "PLAIN"\r\n${tls ? '' : '"STARTTLS"\r\n'}"VERSION" "1.0"\r\nOK "ready"\r\n`;
    client.send(capabilities(false));
    for (;;) {
      const line = await client.line();
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'STARTTLS') {
        client.send('OK "begin TLS"\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
        client.send(capabilities(true));
      } else if (verb === 'LOGOUT') {
        client.send('OK "bye"\r\n');
        return client.end();
      } else if (verb === 'CAPABILITY') client.send(capabilities(true));
      else client.send('OK "done"\r\n');
    }
  },
  async pop3(client) {
    client.send('+OK ready\r\n');
    for (;;) {
      const line = await client.line();
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'CAPA') client.send('+OK\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n');
      else if (verb === 'STLS') {
        client.send('+OK begin TLS\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
      } else if (verb === 'QUIT') {
        client.send('+OK bye\r\n');
        return client.end();
      } else client.send('+OK\r\n');
    }
  },
  async nntp(client) {
    client.send('200 news ready\r\n');
    for (;;) {
      const line = await client.line();
      const [verb = '', sub = ''] = line.toUpperCase().split(' ');
      if (verb === 'CAPABILITIES') client.send('101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\nAUTHINFO USER\r\nSASL PLAIN\r\n.\r\n');
      else if (verb === 'STARTTLS') {
        client.send('382 begin TLS\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
      } else if (verb === 'AUTHINFO') client.send(sub === 'USER' ? '381 password please\r\n' : '281 ok\r\n');
      else if (verb === 'QUIT') {
        client.send('205 bye\r\n');
        return client.end();
      } else client.send('500 what?\r\n');
    }
  },
  async ftp(client) {
    client.send('220 fake FTP server ready\r\n');
    for (;;) {
      const line = await client.line();
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'FEAT') client.send('211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n');
      else if (verb === 'AUTH') {
        client.send('234 Proceed with negotiation.\r\n');
        await client.upgrade(tlsOf(testPki().leaf));
      } else if (verb === 'USER') client.send('331 Please specify the password.\r\n');
      else if (verb === 'PASS') client.send('230 Login successful.\r\n');
      else if (verb === 'QUIT') {
        client.send('221 Goodbye.\r\n');
        return client.end();
      } else client.send('200 ok\r\n');
    }
  },
};

const servers: FakeServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

async function start(protocol: string): Promise<FakeServer> {
  const server = await fakeServer(SERVERS[protocol]);
  servers.push(server);
  return server;
}

/** How each command is told to log in. `where` is the connection flags. */
const COMMANDS: Record<string, (port: number, protocol: string, where: string[]) => { argv: string[]; input?: string }> = {
  ':auth': (port, _protocol, where) => ({ argv: ['-connect', `localhost:${port}`, ...where], input: `:auth PLAIN bob ${SECRET}\n` }),
  'typed credentials': (port, protocol, where) => ({
    argv: ['-connect', `localhost:${port}`, ...where],
    input:
      protocol === 'imap'
        ? `a1 LOGIN bob ${SECRET}\n`
        : protocol === 'pop3' || protocol === 'ftp'
          ? `USER bob\nPASS ${SECRET}\n`
          : protocol === 'sieve'
            ? `AUTHENTICATE "PLAIN" "${B64}"\n`
            : protocol === 'nntp'
              ? `AUTHINFO USER bob\nAUTHINFO PASS ${SECRET}\n`
              : `AUTH PLAIN ${B64}\n`,
  }),
  'check --user': (port, _protocol, where) => ({ argv: ['check', `localhost:${port}`, '--no-versions', '--user', 'bob', '--password', SECRET, ...where] }),
  // send speaks SMTP: --tls is its STARTTLS, no flag its cleartext.
  'send --auth-user': (port, _protocol, where) => ({
    argv: [
      'send', '--server', `localhost:${port}`, '--from', 'bob@example.org', '--to', 'alice@example.org', '--auth-user', 'bob', '--auth-password', SECRET,
      ...where.flatMap((flag, i) => (flag === '-starttls' ? ['--tls'] : flag === '-plain' || flag === '-proto' || where[i - 1] === '-proto' || where[i - 1] === '-starttls' ? [] : [flag])),
    ],
  }),
  // load speaks SMTP (or --lmtp) and takes no -proto.
  'load --user': (port, _protocol, where) => ({
    argv: ['load', `localhost:${port}`, '-n', '3', '-c', '2', '--user', 'bob', '--password', SECRET, ...where.filter((flag, i) => flag !== '-proto' && where[i - 1] !== '-proto')],
  }),
};

/** Connections that cannot protect credentials, and the flag that lets them go anyway. */
const UNSAFE: Record<string, { flags: (protocol: string) => string[]; optIn: string; message: RegExp }> = {
  cleartext: { flags: (protocol) => ['-plain', '-proto', protocol], optIn: '--allow-plaintext-auth', message: /refusing to send credentials over a cleartext connection/ },
  'unverified certificate': { flags: (protocol) => ['-starttls', protocol], optIn: '--insecure', message: /refusing to send credentials: the server's certificate did not verify/ },
};

describe('one credential policy for every command', () => {
  for (const [command, make] of Object.entries(COMMANDS)) {
    const protocols = command === 'load --user' || command === 'send --auth-user' ? ['smtp'] : ['smtp', 'imap', 'pop3', 'sieve', 'nntp', 'ftp'];
    for (const protocol of protocols) {
      for (const [unsafe, how] of Object.entries(UNSAFE)) {
        it(`${command}, ${protocol}, ${unsafe}: refused with exit 13, nothing secret sent`, async () => {
          const server = await start(protocol);
          const { argv, input } = make(server.port, protocol, how.flags(protocol));
          const result = await runMailprobe(argv, { input });
          expect(leaks(server.received)).toEqual([]);
          expect(result.code).toBe(13);
          expect(result.stdout + result.stderr).toMatch(how.message);
        });

        it(`${command}, ${protocol}, ${unsafe}, with ${how.optIn}: the login goes out`, async () => {
          const server = await start(protocol);
          const { argv, input } = make(server.port, protocol, [...how.flags(protocol), how.optIn]);
          const result = await runMailprobe(argv, { input });
          expect(leaks(server.received).length).toBeGreaterThan(0);
          expect(result.code).not.toBe(13);
        });
      }
    }
  }
});

describe('IMAP LOGINDISABLED', () => {
  it('check --user never sends LOGIN to a server that says LOGINDISABLED', async () => {
    const server = await fakeServer(async (client) => {
      client.send('* OK ready\r\n');
      for (;;) {
        const line = await client.line();
        const [tag, verb = ''] = line.split(' ');
        if (verb.toUpperCase() === 'CAPABILITY') client.send(`* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n${tag} OK done\r\n`);
        else if (verb.toUpperCase() === 'LOGOUT') {
          client.send(`* BYE\r\n${tag} OK bye\r\n`);
          return client.end();
        } else client.send(`${tag} OK done\r\n`);
      }
    });
    servers.push(server);
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--plain', '--proto', 'imap', '--user', 'bob', '--password', SECRET, '--allow-plaintext-auth']);
    expect(leaks(server.received)).toEqual([]);
    expect(result.stdout).toMatch(/fail +auth\.login +the server offers no SASL mechanism .*LOGINDISABLED/);
    expect(result.code).toBe(2);
  });
});
