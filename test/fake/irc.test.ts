// IRC with IRCv3 STARTTLS against fake servers: NOTICEs before anything, CAP LS and
// STARTTLS sent at once, 670 the only go-ahead; refusals, silence, injection after the
// 670, the credential guard, and check/cert over the same dialogue.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectLine, type FakeClient, fakeServersOfFile } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const HOST = ':irc.example.net';
const NOTICES = `${HOST} NOTICE * :*** Looking up your hostname...\r\n${HOST} NOTICE * :*** Found your hostname\r\n`;

const serve = fakeServersOfFile();

/** NOTICEs first, then the client's CAP LS and STARTTLS, answered with `answer`. */
async function upToStartTls(client: FakeClient, answer: string, caps = `${HOST} CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL\r\n${HOST} CAP * LS :tls\r\n`): Promise<void> {
  client.send(NOTICES);
  await expectLine(client, /^CAP LS 302$/);
  await expectLine(client, /^STARTTLS$/);
  client.send(`${caps}PING :cookie\r\n${answer}`);
}

async function goAhead(client: FakeClient, caps = `${HOST} CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL\r\n${HOST} CAP * LS :tls\r\n`): Promise<void> {
  await upToStartTls(client, `${HOST} 670 * :STARTTLS successful, proceed with TLS handshake\r\n`, caps);
  await client.upgrade(tlsOf(testPki().leaf));
}

const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'irc', '-CAfile', testPki().ca.cert, '-timeout', '5', ...more];

describe('IRC STARTTLS (IRCv3)', () => {
  it('NOTICEs first, CAP LS and STARTTLS, 670, TLS; CAP END; NICK and USER wait for the welcome; QUIT answered by ERROR: exit 0', async () => {
    const server = await serve(async (client) => {
      await goAhead(client);
      await expectLine(client, /^CAP END$/);
      await expectLine(client, /^NICK alice$/);
      await expectLine(client, /^USER alice 0 \* :Alice$/);
      client.send(`${HOST} 001 alice :Welcome to the fake network\r\nPING :again\r\n`);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :Closing Link: alice (Quit: )\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port), { input: 'NICK alice\nUSER alice 0 * :Alice\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['CAP LS 302', 'STARTTLS', 'CAP END', 'NICK alice', 'USER alice 0 * :Alice', 'QUIT']);
    // The lines before the 670 are shown, and the PING too (answering it is the user's business).
    expect(result.stdout).toContain('*** Found your hostname');
    expect(result.stdout).toContain('CAP * LS :tls');
    expect(result.stdout).toContain('PING :again');
    expect(result.stdout).toContain('Welcome to the fake network');
    expect(result.stdout).toMatch(/Verification: OK|verified/i);
    // Regression (InspIRCd welcomes a second after USER): QUIT waits for the 001.
    expect(result.stdout.indexOf('=> QUIT')).toBeGreaterThan(result.stdout.indexOf('Welcome to the fake network'));
  });

  it('a refusal numeric (433) answers registration too: the session goes on to QUIT', async () => {
    const server = await serve(async (client) => {
      await goAhead(client);
      await expectLine(client, /^CAP END$/);
      await expectLine(client, /^USER alice 0 \* :Alice$/);
      await expectLine(client, /^NICK alice$/);
      client.send(`${HOST} 433 * alice :Nickname is already in use\r\n`);
      await expectLine(client, /^NICK alice2$/);
      client.send(`${HOST} 001 alice2 :Welcome, alice2\r\n`);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port), { input: 'USER alice 0 * :Alice\nNICK alice\nNICK alice2\n' });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out.indexOf('-> NICK alice2')).toBeGreaterThan(out.indexOf('433 * alice'));
    expect(out.indexOf('=> QUIT')).toBeGreaterThan(out.indexOf('Welcome, alice2'));
  });

  it('a PING cookie before the welcome ends the wait: the piped PONG goes out, and waits for the welcome in turn', async () => {
    const server = await serve(async (client) => {
      await goAhead(client);
      await expectLine(client, /^CAP END$/);
      await expectLine(client, /^NICK alice$/);
      await expectLine(client, /^USER alice 0 \* :Alice$/);
      client.send('PING :1A2B3C\r\n');
      await expectLine(client, /^PONG :1A2B3C$/);
      client.send(`${HOST} 001 alice :Welcome after the cookie\r\n`);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port), { input: 'NICK alice\nUSER alice 0 * :Alice\nPONG :1A2B3C\n' });
    expect(result.code).toBe(0);
    expect(result.stdout.indexOf('-> PONG :1A2B3C')).toBeGreaterThan(result.stdout.indexOf('PING :1A2B3C'));
    expect(result.stdout.indexOf('=> QUIT')).toBeGreaterThan(result.stdout.indexOf('Welcome after the cookie'));
  });

  it('a CAP LS without tls and no answer at all to STARTTLS (InspIRCd without its starttls module): exit 7 at once', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} CAP * LS * :multi-prefix\r\n${HOST} CAP * LS :sasl\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port, '-timeout', '20'));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/^mailprobe: the server does not offer STARTTLS \(its CAP LS does not list tls\), so mailprobe stops/);
  });

  it('tls listed on the first CAP LS line of several is still tls offered', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} CAP * LS * :tls multi-prefix\r\n${HOST} CAP * LS :sasl\r\n${HOST} 670 * :go ahead\r\n`);
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^CAP END$/);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('-tls with a server that says nothing first: the typed lines go out, no wait for a greeting', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^NICK alice$/);
      await expectLine(client, /^USER alice 0 \* :Alice$/);
      client.send(`${HOST} 001 alice :Welcome over implicit TLS\r\n`);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    }, { implicitTls: tlsOf(testPki().leaf) });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'irc', '-CAfile', testPki().ca.cert, '-timeout', '20'], {
      input: 'NICK alice\nUSER alice 0 * :Alice\n',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Welcome over implicit TLS');
  });

  it('691: STARTTLS refused, exit 7, nothing after it sent', async () => {
    const server = await serve(async (client) => {
      await upToStartTls(client, `${HOST} 691 * :STARTTLS failed\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port), { input: 'NICK alice\n' });
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/refused STARTTLS \(691\)/);
    expect(server.received).toEqual(['CAP LS 302', 'STARTTLS']);
  });

  it('421 for STARTTLS: not offered, exit 7', async () => {
    const server = await serve(async (client) => {
      client.send(NOTICES);
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} 421 * CAP :Unknown command\r\n`);
      client.send(`${HOST} 421 * STARTTLS :Unknown command\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/does not offer STARTTLS \(421 unknown command\)/);
    expect(result.stdout).toContain('421 * CAP :Unknown command');
  });

  it('a 421 for CAP (a server without CAP) is not the answer to STARTTLS: the 670 after it is', async () => {
    const server = await serve(async (client) => {
      client.send(NOTICES);
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} 421 * CAP :Unknown command\r\n${HOST} 670 * :go ahead\r\n`);
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^CAP END$/);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('451 for STARTTLS (not registered), as s_client reads it: not offered, exit 7', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} 451 * CAP :You have not registered\r\n${HOST} 451 * STARTTLS :You have not registered\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/does not offer STARTTLS \(451 not registered\)/);
  });

  it('a CAP LS without tls is named in the refusal', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} CAP * LS :multi-prefix\r\n${HOST} 421 * STARTTLS :Unknown command\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/CAP LS does not list tls/);
  });

  it('plaintext after the 670, before TLS: injection, exit 10', async () => {
    const server = await serve(async (client) => {
      await upToStartTls(client, `${HOST} 670 * :go ahead\r\n${HOST} NOTICE * :forged after the go-ahead\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
    expect(result.stderr).toMatch(/forged after the go-ahead/);
  });

  it('a server that never answers STARTTLS (only NOTICEs): timeout, exit 5, bounded by -timeout', async () => {
    const server = await serve(async (client) => {
      client.send(NOTICES);
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      // More NOTICEs do not stretch the wait: they go on for 10 s, far past the 1 s bound.
      for (let i = 0; i < 40; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        client.send(`${HOST} NOTICE * :*** still checking ident ${i}\r\n`);
      }
      await client.line().catch(() => undefined);
    });
    const started = Date.now();
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'irc', '-CAfile', testPki().ca.cert, '-timeout', '1']);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/no STARTTLS reply/);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('no line at all before the 670 but the answer to CAP LS: still the go-ahead', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^CAP LS 302$/);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} CAP * LS :tls\r\n${HOST} 670 * :go ahead\r\n`);
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^CAP END$/);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(0);
  });
});

describe('IRC: no greeting', () => {
  it('-quit_after banner: IRC has no banner to wait for, so connected is that stage: QUIT at once, exit 0', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-starttls', 'irc', '-quit_after', 'banner', '-timeout', '20'], { input: 'NICK alice\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['QUIT']);
  });
});

describe('IRC: STARTTLS typed by hand in a plaintext session', () => {
  const plain = (port: number) => ['-connect', `localhost:${port}`, '-plain', '-proto', 'irc', '-CAfile', testPki().ca.cert, '-timeout', '5'];

  it('691: refused, the session goes on in plaintext', async () => {
    const server = await serve(async (client) => {
      client.send(`${HOST} NOTICE * :*** Looking up your hostname...\r\n`);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} 691 * :STARTTLS failed\r\n`);
      await expectLine(client, /^NICK alice$/);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(plain(server.port), { input: 'STARTTLS\nNICK alice\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(server.received).toEqual(['STARTTLS', 'NICK alice', 'QUIT']);
  });

  it('NOTICEs after the first line do not make a hand-typed STARTTLS look like injection', async () => {
    const server = await serve(async (client) => {
      // IRC has no greeting, so the piped STARTTLS goes out at once: these NOTICEs and the
      // PING reach mailprobe before or after it, and either way are not the 670 it waits for.
      client.send(`${HOST} NOTICE * :*** Looking up your hostname...\r\n${HOST} NOTICE * :*** Found your hostname\r\nPING :3F2A1B\r\n`);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} 670 * :go ahead\r\n`);
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(plain(server.port), { input: 'STARTTLS\n' });
    expect(result.stderr).not.toMatch(/injection/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/TLSv1\.[23]/);
  });

  it('670: the session continues over TLS', async () => {
    const server = await serve(async (client) => {
      client.send(`${HOST} NOTICE * :*** Looking up your hostname...\r\n`);
      await expectLine(client, /^STARTTLS$/);
      client.send(`${HOST} 670 * :go ahead\r\n`);
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, /^NICK alice$/);
      await expectLine(client, /^QUIT$/);
      client.send('ERROR :bye\r\n');
      client.end();
    });
    const result = await runMailprobe(plain(server.port), { input: 'STARTTLS\nNICK alice\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/TLSv1\.[23]/);
  });
});

describe('IRC credentials', () => {
  const script = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'mailprobe-irc-'));
    const file = join(dir, 'script');
    writeFileSync(file, text);
    return file;
  };

  async function plainServer() {
    return serve(async (client) => {
      client.send(NOTICES);
      for (;;) {
        const line = await client.line().catch(() => undefined);
        if (line === undefined) return;
        if (/^QUIT/i.test(line)) {
          client.send('ERROR :bye\r\n');
          return client.end();
        }
      }
    });
  }

  it('PASS in cleartext, in a script: refused with exit 13, nothing secret sent', async () => {
    const server = await plainServer();
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'irc', '--script', script('PASS s3cret-pw\nNICK alice\n')]);
    expect(result.code).toBe(13);
    expect(server.received.join('\n')).not.toContain('s3cret-pw');
  });

  it.each([
    ['PASS s3cret-pw', /^-> PASS \[redacted\]$/m],
    ['OPER admin s3cret-pw', /^-> OPER admin \[redacted\]$/m],
    ['AUTHENTICATE czNjcmV0LXB3', /^-> AUTHENTICATE \[redacted\]$/m],
    ['PRIVMSG NickServ :IDENTIFY s3cret-pw', /^-> PRIVMSG NickServ :IDENTIFY \[redacted\]$/m],
  ])('%s with --allow-plaintext-auth: sent, and shown redacted', async (line, shown) => {
    const server = await plainServer();
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'irc', '--allow-plaintext-auth', '--script', script(`${line}\n`)]);
    expect(result.code).toBe(0);
    expect(server.received).toContain(line);
    expect(result.stdout).toMatch(shown);
    expect(result.stdout + result.stderr).not.toMatch(/s3cret-pw|czNjcmV0LXB3/);
  });

  it('AUTHENTICATE PLAIN starts SASL: the next AUTHENTICATE line is redacted', async () => {
    const server = await plainServer();
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'irc', '--allow-plaintext-auth', '--script', script('AUTHENTICATE PLAIN\nAUTHENTICATE AGFsaWNlAHMzY3JldA==\n')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-> AUTHENTICATE PLAIN$/m);
    expect(result.stdout).not.toContain('AGFsaWNlAHMzY3JldA==');
  });
});

describe('IRC: check and cert over STARTTLS', () => {
  it('check --starttls irc: TLS and certificate checks ok', async () => {
    const server = await serve(async (client) => {
      await goAhead(client, `${HOST} CAP * LS :tls\r\n`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'irc', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.stdout).toMatch(/ok +tls\.starttls/);
    expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
    expect(result.stdout).toMatch(/ok +certificate\.hostname/);
    expect(result.stdout).not.toMatch(/fail |warn /);
    expect(result.code).toBe(0);
  });

  it('check: SASL listed by CAP LS before TLS is the "AUTH offered before TLS" warning', async () => {
    const server = await serve(async (client) => {
      await goAhead(client);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'irc', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.stdout).toMatch(/warn +capabilities\.auth_before_tls +AUTH offered before TLS \(PLAIN EXTERNAL\)/);
  });

  it('cert --starttls irc: the chain verifies', async () => {
    const server = await serve(async (client) => {
      await goAhead(client);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'irc', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/verified|Verification: OK/i);
  });
});
