// mailprobe send asks for the AUTH password without echo when none is given and a terminal
// is there; Ctrl-D at the prompt sends nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { fakeServer, type FakeServer } from '../support/fakeServer.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { BIN } from '../support/runMailprobe.js';
import { hasTmux, TmuxTerminal } from '../support/tmux.js';

let terminal: TmuxTerminal | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  terminal?.kill();
  await server?.close();
});

async function submission(): Promise<{ server: FakeServer; secrets: string[] }> {
  const secrets: string[] = [];
  const started = await fakeServer(async (c) => {
    c.send('220 ready\r\n');
    let tls = false;
    for (;;) {
      const line = await c.line();
      if (/^EHLO/.test(line)) c.send(tls ? '250-mx\r\n250 AUTH PLAIN\r\n' : '250-mx\r\n250 STARTTLS\r\n');
      else if (line === 'STARTTLS') {
        c.send('220 go\r\n');
        await c.upgrade(tlsOf(testPki().leaf));
        tls = true;
      } else if (/^AUTH PLAIN /.test(line)) {
        secrets.push(Buffer.from(line.slice('AUTH PLAIN '.length), 'base64').toString('utf8').split('\0')[2]);
        c.send('235 2.7.0 ok\r\n');
      } else if (line === 'QUIT') {
        c.send('221 bye\r\n');
        return c.end();
      } else c.send('250 ok\r\n');
    }
  });
  return { server: started, secrets };
}

const command = (port: number) => [process.execPath, BIN, 'send', '-s', `localhost:${port}`, '--tls', '-CAfile', testPki().ca.cert, '-au', 'bob', '-t', 'a@example.net', '-q', 'auth'];

describe.runIf(hasTmux)('send: the password prompt', () => {
  it('asks without echo and sends what was typed', async () => {
    const started = await submission();
    server = started.server;
    terminal = new TmuxTerminal(command(server.port), { MAILPROBE_PASSWORD: '' });
    await terminal.waitFor(/Password for bob:/);
    terminal.type('typed-secret-42');
    terminal.key('Enter');
    const screen = await terminal.waitFor(/\[exit \d+\]/);
    expect(screen).toContain('[exit 0]');
    expect(screen).not.toContain('typed-secret-42');
    expect(screen).toMatch(/~> AUTH PLAIN \[redacted\]/);
    expect(started.secrets).toEqual(['typed-secret-42']);
  });

  it('Ctrl-D at the prompt sends nothing: exit 2 before connecting', async () => {
    const started = await submission();
    server = started.server;
    terminal = new TmuxTerminal(command(server.port), { MAILPROBE_PASSWORD: '' });
    await terminal.waitFor(/Password for bob:/);
    terminal.key('C-d');
    const screen = await terminal.waitFor(/\[exit \d+\]/);
    expect(screen).toContain('[exit 2]');
    expect(screen).toMatch(/no password was typed/);
    expect(server.received).toEqual([]);
  });
});
