// Hazard: credentials. Cleartext refused (see also test/fake/helpers.test.ts); AUTH LOGIN
// challenges that are invalid, huge or binary; CRAM-MD5 and SCRAM challenges malformed or
// forged. Every case fails closed: the exchange is cancelled and the secret never sent.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const SECRET = 'pa55-s3cret';
const secretForms = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(`\0bob\0${SECRET}`).toString('base64')];

/** SMTP with STARTTLS whose AUTH exchange is `auth`. */
function server(mechanisms: string, auth: (client: FakeClient) => Promise<void>) {
  return async (client: FakeClient) => {
    client.send('220 mx\r\n');
    await expectLine(client, /^EHLO/);
    client.send('250-mx\r\n250 STARTTLS\r\n');
    await expectLine(client, /^STARTTLS$/);
    client.send('220 go\r\n');
    await client.upgrade(tlsOf(testPki().leaf));
    await expectLine(client, /^EHLO/);
    client.send(`250-mx\r\n250 AUTH ${mechanisms}\r\n`);
    await expectLine(client, /^AUTH /);
    await auth(client);
    await client.line().catch(() => {});
  };
}

async function run(handler: (client: FakeClient) => Promise<void>, mechanism: string) {
  const fake = await fakeServer(handler);
  try {
    const result = await runMailprobe(['-connect', `localhost:${fake.port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert], {
      input: `:auth ${mechanism} bob ${SECRET}\n`,
      measureMemory: true,
    });
    const sent = fake.received.join('\n');
    for (const form of secretForms) expect(sent).not.toContain(form);
    return { ...result, received: fake.received };
  } finally {
    await fake.close();
  }
}

describe('hostile SASL challenges', () => {
  it.each([
    ['invalid base64', '334 ****\r\n', /challenge that is not valid base64/],
    ['binary garbage that decodes', `334 ${Buffer.from([0, 1, 2, 0xff, 0x1b]).toString('base64')}\r\n`, /LOGIN prompt is not a short line of text \(5 bytes\)/],
    ['a huge challenge (1 MB)', `334 ${'QUFB'.repeat(256 * 1024)}\r\n`, /a line too long to be a SASL reply \(over 65536 bytes\)/],
  ])('AUTH LOGIN with %s: cancelled, nothing secret sent', async (_name, challenge, message) => {
    const result = await run(
      server('LOGIN', async (client) => {
        client.send(challenge);
        const answer = await client.line();
        client.send(answer === '*' ? '501 5.7.0 cancelled\r\n' : '334 UGFzc3dvcmQ6\r\n');
        const second = await client.line().catch(() => '*');
        if (second !== '*') client.send('535 no\r\n');
      }),
      'LOGIN',
    );
    expect(result.code).toBe(12);
    expect(result.received.at(-1)).toBe('*');
    expect(result.stderr + result.stdout).toMatch(message);
    expect(result.peakRssKb! / 1024).toBeLessThan(150);
  });

  it('CRAM-MD5 with an empty challenge is refused', async () => {
    const result = await run(
      server('CRAM-MD5', async (client) => {
        client.send('334 \r\n');
        const answer = await client.line();
        client.send(answer === '*' ? '501 cancelled\r\n' : '235 ok\r\n');
      }),
      'CRAM-MD5',
    );
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/CRAM-MD5: .*the exchange was cancelled/);
    expect(result.received).toContain('*');
  });

  it.each([
    ['a server nonce that does not extend ours', (nonce: string) => `r=someone-elses-nonce,s=${Buffer.from('salt').toString('base64')},i=4096`, /nonce/i],
    ['an iteration count of 1 (a downgrade)', (nonce: string) => `r=${nonce}x,s=${Buffer.from('salt').toString('base64')},i=1`, /downgrade|iteration/i],
    ['a salt that is not base64', (nonce: string) => `r=${nonce}x,s=!!!,i=4096`, /salt|base64|malformed/i],
    ['a server error', () => 'e=invalid-proof', /invalid-proof|server/i],
  ])('SCRAM-SHA-256 with %s fails closed', async (_name, serverFirst, message) => {
    const result = await run(
      server('SCRAM-SHA-256', async (client) => {
        // The AUTH line carried the client-first message as an initial response.
        const clientFirst = Buffer.from(client.raw.at(-1)?.trim().split(' ')[2] ?? '', 'base64').toString();
        const nonce = /r=([^,]+)/.exec(clientFirst)?.[1] ?? '';
        client.send(`334 ${Buffer.from(serverFirst(nonce)).toString('base64')}\r\n`);
        const answer = await client.line();
        client.send(answer === '*' ? '501 cancelled\r\n' : '235 accepted anyway\r\n');
      }),
      'SCRAM-SHA-256',
    );
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toContain('-- authenticated');
    expect(result.received).toContain('*');
  });

  it('SCRAM-SHA-256 where the server says 235 without ever proving itself fails closed', async () => {
    const result = await run(
      server('SCRAM-SHA-256', async (client) => {
        client.send('235 2.7.0 trust me\r\n');
      }),
      'SCRAM-SHA-256',
    );
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/accepted SCRAM-SHA-256 without proving it knows the password/);
  });
});
