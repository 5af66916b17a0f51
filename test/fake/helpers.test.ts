// Helpers against fake servers: credentials refused where they could leak, SASL
// exchanges that must fail closed, and each helper's wire traffic in each protocol.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

/** An SMTP server with STARTTLS and AUTH; `auth` handles what follows "AUTH ...". */
function smtpServer(auth: (client: FakeClient, command: string) => Promise<void>, cert = () => tlsOf(testPki().leaf)) {
  return async (client: FakeClient) => {
    client.send('220 mx ESMTP\r\n');
    for (;;) {
      const line = await client.line();
      if (/^EHLO/i.test(line)) client.send('250-mx\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256\r\n250 SIZE 1048576\r\n');
      else if (line === 'STARTTLS') {
        client.send('220 go\r\n');
        await client.upgrade(cert());
      } else if (/^AUTH /i.test(line)) await auth(client, line);
      else if (/^QUIT/i.test(line)) {
        client.send('221 bye\r\n');
        client.end();
        return;
      } else if (/^MAIL FROM/i.test(line)) client.send('250 2.1.0 ok\r\n');
      else if (/^RCPT TO:<bad/i.test(line)) client.send('550 5.1.1 no such user\r\n');
      else if (/^RCPT TO/i.test(line)) client.send('250 2.1.5 ok\r\n');
      else if (line === 'DATA') {
        client.send('354 go\r\n');
        const body: string[] = [];
        for (let l = await client.line(); l !== '.'; l = await client.line()) body.push(l);
        client.send(`250 2.0.0 Ok: queued as QID${body.length}\r\n`);
      } else client.send('502 what\r\n');
    }
  };
}

async function run(handler: (client: FakeClient) => Promise<void>, args: string[], input: string, env: NodeJS.ProcessEnv = {}) {
  const server = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-CAfile', testPki().ca.cert, ...args], { input, env });
    return { ...result, received: server.received, errors: server.errors };
  } finally {
    await server.close();
  }
}

const acceptPlain = async (client: FakeClient) => {
  client.send('235 2.7.0 ok\r\n');
};

describe('credentials are refused where they could leak', () => {
  it(':auth over cleartext is refused without --allow-plaintext-auth, and nothing secret is sent', async () => {
    const result = await run(smtpServer(acceptPlain), ['-plain', '-proto', 'smtp'], 'EHLO x\n:auth PLAIN bob s3cret\n');
    expect(result.code).toBe(13);
    expect(result.stderr).toMatch(/refusing to send credentials over a cleartext connection; reconnect with TLS \(-starttls smtp.*--allow-plaintext-auth/);
    expect(result.received.join('\n')).not.toMatch(/AUTH|s3cret/);
  });

  it('with --allow-plaintext-auth it goes', async () => {
    const result = await run(smtpServer(acceptPlain), ['-plain', '-proto', 'smtp', '--allow-plaintext-auth'], 'EHLO x\n:auth PLAIN bob s3cret\n');
    expect(result.code).toBe(0);
    expect(result.received).toContain(`AUTH PLAIN ${Buffer.from('\0bob\0s3cret').toString('base64')}`);
  });

  it(':auth over TLS whose certificate did not verify is refused without --insecure', async () => {
    const result = await run(smtpServer(acceptPlain, () => tlsOf(testPki().selfSigned)), ['-starttls', 'smtp'], ':auth PLAIN bob s3cret\n');
    expect(result.code).toBe(13);
    expect(result.stderr).toMatch(/certificate did not verify.*--insecure/);
    expect(result.received.join('\n')).not.toMatch(/AUTH/);
    const insecure = await run(smtpServer(acceptPlain, () => tlsOf(testPki().selfSigned)), ['-starttls', 'smtp', '--insecure'], ':auth PLAIN bob s3cret\n');
    expect(insecure.code).toBe(0);
    expect(insecure.stdout).toContain('-- authenticated as bob with PLAIN');
  });

  it('a typed AUTH PLAIN line in a piped cleartext session is refused; it is never sent', async () => {
    const result = await run(smtpServer(acceptPlain), ['-plain', '-proto', 'smtp'], 'EHLO x\nAUTH PLAIN AGJvYgBzM2NyZXQ=\nQUIT\n');
    expect(result.code).toBe(13);
    expect(result.received).toEqual(['EHLO x']);
    expect(result.stderr).toMatch(/auth before TLS|refusing to send credentials/);
  });

  it('warns once when AUTH is offered before TLS, and shows the SIZE limit', async () => {
    const result = await run(smtpServer(acceptPlain), ['-plain', '-proto', 'smtp'], 'EHLO x\nEHLO y\n');
    expect(result.stderr.match(/offers authentication before TLS/g)).toHaveLength(1);
    expect(result.stdout).toContain('-- the server accepts messages up to 1 MiB (SIZE 1048576)');
  });
});

describe('SASL exchanges fail closed', () => {
  it('LOGIN with a garbage challenge is cancelled with "*"', async () => {
    const result = await run(
      smtpServer(async (client) => {
        client.send('334 !!!not-base64!!!\r\n');
        await expectLine(client, /^\*$/);
        client.send('501 5.7.0 cancelled\r\n');
      }),
      ['-starttls', 'smtp'],
      ':auth LOGIN bob s3cret\n',
    );
    expect(result.code).toBe(12);
    expect(result.stdout).toMatch(/^334 !!!not-base64!!! {2}→ \(not valid base64\)$/m);
    expect(result.stderr).toMatch(/challenge that is not valid base64/);
    expect(result.received.join('\n')).not.toMatch(/czNjcmV0|Ym9i/); // neither user nor password went out
  });

  it('SCRAM-SHA-256 with a forged server signature fails closed even though the server says 235', async () => {
    const result = await run(
      smtpServer(async (client, command) => {
        const clientFirst = Buffer.from(command.split(' ')[2] ?? '', 'base64').toString();
        const nonce = /r=([^,]+)/.exec(clientFirst)?.[1];
        client.send(`334 ${Buffer.from(`r=${nonce}srv,s=${Buffer.from('salt').toString('base64')},i=4096`).toString('base64')}\r\n`);
        await client.line();
        client.send(`334 ${Buffer.from(`v=${Buffer.alloc(32, 7).toString('base64')}`).toString('base64')}\r\n`);
        const answer = await client.line();
        client.send(answer === '*' ? '501 cancelled\r\n' : '235 2.7.0 welcome, impostor accepted\r\n');
      }),
      ['-starttls', 'smtp'],
      ':auth SCRAM-SHA-256 bob s3cret\n',
    );
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/SCRAM-SHA-256: .*signature/i);
    expect(result.stdout).not.toContain('impostor accepted');
    expect(result.stdout).not.toContain('-- authenticated');
  });

  it('SCRAM-SHA-256 against a correct server verifies its signature', async () => {
    const password = 's3cret';
    const result = await run(
      smtpServer(async (client, command) => {
        const clientFirstBare = Buffer.from(command.split(' ')[2] ?? '', 'base64').toString().replace(/^n,,/, '');
        const nonce = /r=([^,]+)/.exec(clientFirstBare)?.[1];
        const salt = Buffer.from('0123456789abcdef');
        const serverFirst = `r=${nonce}SRV,s=${salt.toString('base64')},i=4096`;
        client.send(`334 ${Buffer.from(serverFirst).toString('base64')}\r\n`);
        const clientFinal = Buffer.from(await client.line(), 'base64').toString();
        const withoutProof = clientFinal.replace(/,p=.*$/, '');
        const salted = pbkdf2Sync(password, salt, 4096, 32, 'sha256');
        const serverKey = createHmac('sha256', salted).update('Server Key').digest();
        const auth = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const signature = createHmac('sha256', serverKey).update(auth).digest('base64');
        // The proof must check out too: recompute it as a real server would.
        const clientKey = createHmac('sha256', salted).update('Client Key').digest();
        const stored = createHash('sha256').update(clientKey).digest();
        const clientSig = createHmac('sha256', stored).update(auth).digest();
        const proof = Buffer.from(clientKey.map((b, i) => b ^ clientSig[i])).toString('base64');
        if (!clientFinal.endsWith(`p=${proof}`)) return void client.send('535 bad proof\r\n');
        client.send(`334 ${Buffer.from(`v=${signature}`).toString('base64')}\r\n`);
        await expectLine(client, /^$/);
        client.send('235 2.7.0 ok\r\n');
      }),
      ['-starttls', 'smtp'],
      ':auth SCRAM-SHA-256 bob s3cret\n',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('-- authenticated as bob with SCRAM-SHA-256');
  });

  it('CRAM-MD5 answers the challenge with the RFC 2195 digest', async () => {
    const challenge = '<1896.697170952@postoffice.reston.mci.net>';
    const result = await run(
      smtpServer(async (client) => {
        client.send(`334 ${Buffer.from(challenge).toString('base64')}\r\n`);
        const answer = Buffer.from(await client.line(), 'base64').toString();
        client.send(answer === 'tim b913a602c7eda7a495b4e6e7334d3890' ? '235 ok\r\n' : '535 wrong\r\n');
      }),
      ['-starttls', 'smtp'],
      ':auth CRAM-MD5 tim tanstaaftanstaaf\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ\+ {2}→ "<1896\.697170952@postoffice\.reston\.mci\.net>"$/m);
    expect(result.stdout).toMatch(/^=> \[redacted\]$/m);
    expect(result.stdout).toContain('-- authenticated as tim with CRAM-MD5');
  });

  it('takes the password from MAILPROBE_PASSWORD and from --pass-file', async () => {
    const env = await run(smtpServer(acceptPlain), ['-starttls', 'smtp'], ':auth PLAIN bob\n', { MAILPROBE_PASSWORD: 'from-env' });
    expect(env.received).toContain(`AUTH PLAIN ${Buffer.from('\0bob\0from-env').toString('base64')}`);
    const none = await run(smtpServer(acceptPlain), ['-starttls', 'smtp'], ':auth PLAIN bob\n', { MAILPROBE_PASSWORD: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no password or token given; type it after the user name, set MAILPROBE_PASSWORD, or use --pass-file FILE/);
  });
});

describe('message helpers', () => {
  it(':mail runs the whole envelope and stops at the first refusal, naming the step', async () => {
    const good = await run(smtpServer(acceptPlain), ['-starttls', 'smtp'], ':mail a@x.test b@y.test c@y.test\n');
    expect(good.code).toBe(0);
    const start = good.received.indexOf('MAIL FROM:<a@x.test>');
    expect(good.received.slice(start, start + 4)).toEqual(['MAIL FROM:<a@x.test>', 'RCPT TO:<b@y.test>', 'RCPT TO:<c@y.test>', 'DATA']);
    expect(good.received).toContain('To: <b@y.test>, <c@y.test>');
    expect(good.stdout).toMatch(/^-- delivered: queued as QID\d+$/m);
    const bad = await run(smtpServer(acceptPlain), ['-starttls', 'smtp', '-quiet'], ':mail a@x.test bad@y.test\n');
    expect(bad.code).toBe(11);
    expect(bad.stderr).toMatch(/:mail stopped at RCPT TO:<bad@y\.test>: the server answered 550 5\.1\.1 no such user/);
    expect(bad.received).not.toContain('DATA');
  });

  it(':send FILE sends CRLF, dot-stuffed content and reports its size', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'mp-msg-')), 'm.eml');
    writeFileSync(file, 'Subject: t\n\n.leading dot\nlast');
    const result = await run(smtpServer(acceptPlain), ['-starttls', 'smtp'], `MAIL FROM:<a@x>\nRCPT TO:<b@y>\n:send ${file}\n`);
    expect(result.code).toBe(0);
    expect(result.received.slice(-7)).toEqual(['DATA', 'Subject: t', '', '..leading dot', 'last', '.', 'QUIT']);
    expect(result.stdout).toContain('-- sent 35 bytes, CRLF line endings, dot-stuffed');
    expect(result.stdout).toContain('-- queued as QID4');
  });

  it(':send before any RCPT: the refused DATA comes with a hint to give the envelope first', async () => {
    const result = await run(async (client) => {
      client.send('220 strict ESMTP\r\n');
      for (;;) {
        const line = await client.line();
        if (/^EHLO/i.test(line)) client.send('250 strict\r\n');
        else if (line === 'DATA') client.send('503 5.5.1 Error: need RCPT command\r\n');
        else if (/^QUIT/i.test(line)) {
          client.send('221 bye\r\n');
          client.end();
          return;
        } else client.send('502 what\r\n');
      }
    }, ['-plain', '-proto', 'smtp', '-quiet'], ':send\n');
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/the server refused DATA: 503 5\.5\.1 Error: need RCPT command; no RCPT TO was accepted in this session: give MAIL FROM and RCPT TO first, or use :mail FROM TO/);
  });

  it(':encode, :decode, :plain and :help need no server round trip', async () => {
    const result = await run(smtpServer(acceptPlain), ['-starttls', 'smtp', '-quiet'], ':plain me@example.com 0secret\n:encode \\0user\\0pass\n:decode VXNlcm5hbWU6\n:help\n:nosuch\n');
    expect(result.stdout.split('\n')[0]).toBe(Buffer.from('\0me@example.com\x000secret').toString('base64'));
    expect(result.stdout).toContain('\nAHVzZXIAcGFzcw==\n');
    expect(result.stdout).toContain('\nUsername:\n');
    expect(result.stdout).toMatch(/^ {2}:auth \[MECH\] \[USER \[PASSWORD\]\] +authenticate/m);
    expect(result.code).toBe(2); // an unknown helper in a script is an error
    expect(result.stderr).toMatch(/unknown helper ":nosuch"; :help lists them/);
  });
});

describe('session details', () => {
  it(':caps and :tls show what the session knows; -raw sends ":" lines to the server', async () => {
    const result = await run(smtpServer(acceptPlain), ['-starttls', 'smtp', '-quiet'], ':caps\n:tls\n');
    expect(result.stdout).toMatch(/^capabilities \(over TLS\):\n {2}STARTTLS\n {2}AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256\n {2}SIZE 1048576$/m);
    expect(result.stdout).toMatch(/^ {2}protocol {5}TLSv1\.3$/m);
    const raw = await run(smtpServer(acceptPlain), ['-starttls', 'smtp', '-quiet', '-raw'], ':caps\n');
    expect(raw.received).toContain(':caps');
    expect(raw.stdout).toMatch(/^502 what$/m);
  });

  it('the transcript is complete up to a server reset', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const log = join(mkdtempSync(join(tmpdir(), 'mp-log-')), 't.log');
    const result = await run(
      async (client) => {
        client.send('220 mx\r\n');
        await expectLine(client, /^NOOP$/);
        client.send('250 ok\r\n');
        await expectLine(client, /^NOOP$/);
        client.socket.resetAndDestroy();
      },
      ['-plain', '-proto', 'smtp', '--log', log],
      'NOOP\nNOOP\nNOOP\n',
    );
    expect(result.code).toBe(9);
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/-> NOOP\n.*<- 250 ok\n.*-> NOOP\n.*\*\* error: the connection to .* was reset by the server\n$/);
  });
});
