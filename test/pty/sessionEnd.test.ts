// How a terminal is left when the session ends: what follows the last line mailprobe
// prints (the shell's prompt, here the "[exit N]" line) starts on a line of its own, and
// no prompt is drawn in front of output that comes after the input ended.
import { afterEach, describe, expect, it } from 'vitest';
import { expectLine, fakeServer, type FakeServer } from '../support/fakeServer.js';
import { BIN } from '../support/runMailprobe.js';
import { hasTmux, TmuxTerminal } from '../support/tmux.js';

let terminal: TmuxTerminal | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  terminal?.kill();
  await server?.close();
});

const session = (port: number) => new TmuxTerminal([process.execPath, BIN, '-connect', `127.0.0.1:${port}`, '-plain', '-proto', 'smtp']);
/** The screen's rows, trailing blank ones dropped. */
const rows = (screen: string) => screen.replace(/\n+$/, '').split('\n');

describe.runIf(hasTmux)('the terminal after a session', () => {
  it('no stray prompt after "-- connection closed" when the server closes', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await expectLine(c, /^NOOP$/);
      c.send('421 4.3.2 going away\r\n');
      c.end();
    });
    terminal = session(server.port);
    await terminal.waitFor(/^220 ready$/m);
    await terminal.waitFor(/^>$/m);
    terminal.type('NOOP');
    terminal.key('Enter');
    const screen = rows(await terminal.waitFor(/\[exit \d+\]/));
    const closed = screen.indexOf('-- the server closed the connection');
    expect(closed, screen.join('\n')).toBeGreaterThan(0);
    expect(screen[closed + 1]).toBe('[exit 9]');
    expect(screen.filter((row) => /^>\s*$/.test(row))).toEqual([]);
  });

  it('Ctrl-C leaves the half-typed line on screen and the shell starts on a fresh line', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await c.line().catch(() => {});
    });
    terminal = session(server.port);
    await terminal.waitFor(/^220 ready$/m);
    terminal.type('half typed');
    await terminal.waitFor(/^> half typed$/m);
    terminal.key('C-c');
    const screen = rows(await terminal.waitFor(/\[exit \d+\]/));
    const typed = screen.indexOf('> half typed');
    expect(typed, screen.join('\n')).toBeGreaterThan(0);
    expect(screen[typed + 1]).toBe('[exit 130]');
    // mailprobe closed the connection itself: no note blames the server.
    expect(screen.join('\n')).not.toMatch(/server closed/);
    expect(server.received).toEqual([]);
  });

  it('Ctrl-C on an empty prompt erases it', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await c.line().catch(() => {});
    });
    terminal = session(server.port);
    await terminal.waitFor(/^220 ready$/m);
    await terminal.waitFor(/^>$/m);
    terminal.key('C-c');
    const screen = rows(await terminal.waitFor(/\[exit \d+\]/));
    expect(screen[screen.indexOf('220 ready') + 1]).toBe('[exit 130]');
  });

  it('Ctrl-D: the QUIT and the closing note each start their own line, no prompt in front', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await expectLine(c, /^QUIT$/);
      c.send('221 bye\r\n');
      c.end();
    });
    terminal = session(server.port);
    await terminal.waitFor(/^220 ready$/m);
    await terminal.waitFor(/^>$/m);
    terminal.key('C-d');
    const screen = rows(await terminal.waitFor(/\[exit \d+\]/));
    const start = screen.indexOf('220 ready');
    expect(screen.slice(start), screen.join('\n')).toEqual(['220 ready', '=> QUIT', '221 bye', '-- connection closed', '[exit 0]']);
  });
  it('Ctrl-C in the demo (its server lives on in the same process): no note blames the server', async () => {
    terminal = new TmuxTerminal([process.execPath, BIN, 'demo', '-brief']);
    await terminal.waitFor(/^>$/m, 15_000);
    terminal.type('half typed');
    await terminal.waitFor(/^> half typed$/m);
    terminal.key('C-c');
    const screen = rows(await terminal.waitFor(/\[exit \d+\]/));
    expect(screen.join('\n')).not.toMatch(/server closed/);
    expect(screen[screen.indexOf('> half typed') + 1]).toBe('[exit 130]');
  });
});

if (!hasTmux) describe('the terminal after a session', () => {
  it('needs tmux', () => {
    if (process.env.CI) throw new Error('tmux is not installed: .ci/run must install it');
    expect.fail('tmux is not installed: install it (apt-get install tmux) to run the real-terminal tests');
  });
});
