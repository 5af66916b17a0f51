// LMTP answers the final dot once per accepted recipient, and a server may send all those
// replies in one write: a helper inside a session reads every one of them, so a recipient
// refused after the dot is never missed.
import { describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

function lmtp(finals: string) {
  return async (client: FakeClient) => {
    client.send('220 lmtp.test LMTP ready\r\n');
    for (;;) {
      const line = await client.line();
      if (/^LHLO/i.test(line)) client.send('250-lmtp.test\r\n250 PIPELINING\r\n');
      else if (/^DATA/i.test(line)) {
        client.send('354 go\r\n');
        while ((await client.line()) !== '.');
        client.send(finals); // both recipients' replies in one write
      } else if (/^QUIT/i.test(line)) {
        client.send('221 bye\r\n');
        return client.end();
      } else client.send('250 ok\r\n');
    }
  };
}

describe('LMTP final replies in one write, inside a session', () => {
  it.each([
    ['both accepted', '250 2.0.0 <a@x> Saved\r\n250 2.0.0 <b@x> Saved\r\n', 0],
    ['the second refused', '250 2.0.0 <a@x> Saved\r\n552 5.2.2 <b@x> Mailbox full\r\n', 11],
  ])(':mail with two recipients, %s', async (_name, finals, code) => {
    const server = await fakeServer(lmtp(finals));
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'lmtp', '-timeout', '5'], { input: 'LHLO me\n:mail s@x a@x b@x\nNOOP\n' });
      expect(result.code).toBe(code);
      if (code) expect(result.stderr).toMatch(/:mail stopped at end of DATA: the server answered 552 5\.2\.2 <b@x> Mailbox full/);
      else expect(server.received).toContain('NOOP');
    } finally {
      await server.close();
    }
  });
});
