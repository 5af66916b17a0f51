// AUTH LOGIN typed by hand: the answer to the "Username:" challenge is shown in echo and
// --log (a user name is no secret), the answer to "Password:" stays [redacted], and so
// does the answer to any other challenge, or to a "Username:" asked after an answer.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { runMailprobe } from '../support/runMailprobe.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const USER = b64('bob@example.org');
const PASSWORD = b64('hunter2-secret');

/** STARTTLS, then AUTH LOGIN asking the two challenges given. */
function server(first: string, second: string) {
  return async (client: FakeClient) => {
    client.send('220 mx ESMTP\r\n');
    await expectLine(client, /^EHLO /);
    client.send('250-mx\r\n250 STARTTLS\r\n');
    await expectLine(client, /^STARTTLS$/);
    client.send('220 go\r\n');
    await client.upgrade(tlsOf(testPki().leaf));
    await expectLine(client, /^EHLO /);
    client.send('250-mx\r\n250 AUTH LOGIN\r\n');
    await expectLine(client, /^AUTH LOGIN$/);
    client.send(`334 ${b64(first)}\r\n`);
    await client.line();
    client.send(`334 ${b64(second)}\r\n`);
    await client.line();
    client.send('235 2.7.0 ok\r\n');
    await expectLine(client, /^QUIT$/);
    client.send('221 bye\r\n');
    client.end();
  };
}

async function run(first: string, second: string) {
  const fake = await fakeServer(server(first, second));
  const log = join(mkdtempSync(join(tmpdir(), 'mp-login-')), 't.log');
  try {
    const result = await runMailprobe(['-connect', `localhost:${fake.port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert, '--log', log], {
      input: `AUTH LOGIN\n${USER}\n${PASSWORD}\n`,
    });
    return { ...result, log: readFileSync(log, 'utf8'), received: fake.received };
  } finally {
    await fake.close();
  }
}

describe('AUTH LOGIN by hand: the user name is shown, the password is not', () => {
  it('echo and --log show the answer to "Username:" in clear and the password as [redacted]', async () => {
    const result = await run('Username:', 'Password:');
    expect(result.code).toBe(0);
    expect(result.received.slice(-3)).toEqual([USER, PASSWORD, 'QUIT']);
    expect(result.stdout).toMatch(new RegExp(`^-> ${USER}\\n334 ${b64('Password:')}  → "Password:"\\n-> \\[redacted\\]$`, 'm'));
    expect(result.log).toMatch(new RegExp(`Z ~> ${USER}$`, 'm'));
    expect(result.log).toMatch(/Z ~> \[redacted\]$/m);
    expect(result.stdout + result.log).not.toContain(PASSWORD);
  });

  it('a challenge that does not ask for a user name keeps its answer redacted', async () => {
    const result = await run('Who goes there?', 'Password:');
    expect(result.code).toBe(0);
    expect(result.stdout + result.log).not.toContain(USER);
    expect(result.stdout + result.log).not.toContain(PASSWORD);
    expect(result.log.match(/Z ~> \[redacted\]$/gm)).toHaveLength(2);
  });

  it('only the first answer of the exchange can be a user name: a "Username:" asked second keeps the password redacted', async () => {
    const result = await run('Password:', 'Username:');
    expect(result.code).toBe(0);
    expect(result.stdout + result.log).not.toContain(USER);
    expect(result.stdout + result.log).not.toContain(PASSWORD);
    expect(result.log.match(/Z ~> \[redacted\]$/gm)).toHaveLength(2);
  });
});
