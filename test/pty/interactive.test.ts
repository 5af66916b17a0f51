// A person at a real terminal (tmux): line editing, a server line arriving while a
// half-typed line is redrawn intact, colours, and Ctrl-D ending the session politely.
import { afterEach, describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeClient, type FakeServer } from '../support/fakeServer.js';
import { BIN } from '../support/runMailprobe.js';
import { hasTmux, TmuxTerminal } from '../support/tmux.js';

let terminal: TmuxTerminal | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  terminal?.kill();
  await server?.close();
});

describe.runIf(hasTmux)('interactive session in a real terminal', () => {
  it('redraws a half-typed line when a server line arrives, sends it on Enter, QUITs on Ctrl-D', async () => {
    let client!: FakeClient;
    const connected = new Promise<void>((resolve) => {
      void fakeServer(async (c) => {
        client = c;
        c.send('220 mx.test ESMTP\r\n');
        resolve();
        await expectLine(c, /^EHLO half typed$/);
        c.send('250-mx.test\r\n250 SIZE 1000\r\n');
        await expectLine(c, /^QUIT$/);
        c.send('221 2.0.0 bye\r\n');
        c.end();
      }).then((s) => {
        server = s;
        terminal = new TmuxTerminal([process.execPath, BIN, '-connect', `127.0.0.1:${s.port}`, '-plain', '-proto', 'smtp']);
      });
    });
    await connected;
    const tty = terminal as TmuxTerminal;
    await tty.waitFor(/^220 mx\.test ESMTP$/m);
    await tty.waitFor(/^>$/m); // capture-pane drops the prompt's trailing space
    tty.type('EHLO half');
    await tty.waitFor(/^> EHLO half$/m);

    // The server speaks while the user is mid-line.
    client.send('250 unsolicited line from the server\r\n');
    const screen = await tty.waitFor(/^250 unsolicited line from the server$/m);
    const lines = screen.split('\n');
    const serverRow = lines.findIndex((l) => l === '250 unsolicited line from the server');
    expect(lines[serverRow + 1]).toBe('> EHLO half'); // the prompt and the typed text, redrawn below it
    expect(screen).not.toMatch(/EHLO half250/);

    // Line editing keeps working on the redrawn line.
    tty.type(' typed');
    tty.key('Enter');
    await tty.waitFor(/^250 SIZE 1000$/m);
    const coloured = tty.screen(true);
    expect(coloured).toMatch(/\x1b\[32m250-mx\.test\n250 SIZE 1000\n/); // 2xx in green on a terminal
    tty.key('C-d');
    const end = await tty.waitFor(/\[exit \d+\]/);
    expect(end).toMatch(/221 2\.0\.0 bye/);
    expect(end).toMatch(/\[exit 0\]/);
    expect(server?.received).toEqual(['EHLO half typed', 'QUIT']);
  });

  it('a line starting with R or Q is sent, not taken as a command (no s_client trap)', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await expectLine(c, /^RSET$/);
      c.send('250 reset ok\r\n');
      await expectLine(c, /^Q$/);
      c.send('500 what\r\n');
      await expectLine(c, /^QUIT$/);
      c.send('221 bye\r\n');
      c.end();
    });
    terminal = new TmuxTerminal([process.execPath, BIN, '-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp']);
    await terminal.waitFor(/^220 ready$/m);
    terminal.type('RSET');
    terminal.key('Enter');
    await terminal.waitFor(/^250 reset ok$/m);
    terminal.type('Q');
    terminal.key('Enter');
    await terminal.waitFor(/^500 what$/m);
    terminal.type('QUIT');
    terminal.key('Enter');
    await terminal.waitFor(/\[exit 0\]/);
    expect(server.received).toEqual(['RSET', 'Q', 'QUIT']);
  });

  it(':auth asks for a missing password without echo, and the secret never reaches the screen', async () => {
    const { testPki, tlsOf } = await import('../support/pkiOnce.js');
    let authLine = '';
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await expectLine(c, /^EHLO/);
      c.send('250-mx\r\n250 STARTTLS\r\n');
      await expectLine(c, /^STARTTLS$/);
      c.send('220 go\r\n');
      await c.upgrade(tlsOf(testPki().leaf));
      await expectLine(c, /^EHLO/);
      c.send('250-mx\r\n250 AUTH PLAIN\r\n');
      authLine = await c.line();
      c.send('235 2.7.0 ok\r\n');
      await expectLine(c, /^QUIT$/);
      c.send('221 bye\r\n');
      c.end();
    });
    terminal = new TmuxTerminal([process.execPath, BIN, '-connect', `localhost:${server.port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert], {
      MAILPROBE_PASSWORD: '',
    });
    await terminal.waitFor(/^250 AUTH PLAIN$/m);
    terminal.type(':auth PLAIN bob');
    terminal.key('Enter');
    await terminal.waitFor(/Password for bob:$/m);
    terminal.type('hunter2-secret');
    terminal.key('Enter');
    const screen = await terminal.waitFor(/-- authenticated as bob with PLAIN/);
    expect(screen).not.toContain('hunter2-secret');
    expect(screen).toMatch(/^=> AUTH PLAIN \[redacted\]$/m);
    expect(authLine).toBe(`AUTH PLAIN ${Buffer.from('\0bob\0hunter2-secret').toString('base64')}`);
    terminal.key('C-d');
    await terminal.waitFor(/\[exit 0\]/);
  });

  it('asks before sending typed credentials in cleartext, and does not send them on "n"', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await expectLine(c, /^NOOP$/);
      c.send('250 ok\r\n');
      await expectLine(c, /^QUIT$/);
      c.send('221 bye\r\n');
      c.end();
    });
    terminal = new TmuxTerminal([process.execPath, BIN, '-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp']);
    await terminal.waitFor(/^220 ready$/m);
    terminal.type('AUTH PLAIN AGJvYgBzM2NyZXQ=');
    terminal.key('Enter');
    await terminal.waitFor(/Send it anyway\? \[y\/N\]/);
    terminal.type('n');
    terminal.key('Enter');
    await terminal.waitFor(/^-- not sent$/m);
    terminal.type('NOOP');
    terminal.key('Enter');
    await terminal.waitFor(/^250 ok$/m);
    terminal.key('C-d');
    await terminal.waitFor(/\[exit 0\]/);
    expect(server.received).toEqual(['NOOP', 'QUIT']);
  });

  it('Ctrl-C exits at once with code 130', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await c.line().catch(() => {});
    });
    terminal = new TmuxTerminal([process.execPath, BIN, '-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp']);
    await terminal.waitFor(/^220 ready$/m);
    terminal.key('C-c');
    await terminal.waitFor(/\[exit 130\]/);
    expect(server.received).toEqual([]);
  });
});

if (!hasTmux) describe('interactive session in a real terminal', () => {
  it('needs tmux', () => {
    if (process.env.CI) throw new Error('tmux is not installed: .ci/run must install it');
    console.warn('tmux is not installed: the real-terminal tests did NOT run');
    expect.fail('tmux is not installed: install it (apt-get install tmux) to run the real-terminal tests');
  });
});
