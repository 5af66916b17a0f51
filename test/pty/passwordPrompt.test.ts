// The no-echo password prompt of :auth at a real terminal (tmux): Ctrl-D and an empty line
// cancel with nothing sent, Ctrl-C exits 130 with nothing sent, Backspace and Ctrl-U edit
// the hidden line, and after each the terminal echoes and edits lines again.
import { afterEach, describe, expect, it } from 'vitest';
import { fakeServer, sleep, type FakeServer } from '../support/fakeServer.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { BIN } from '../support/runMailprobe.js';
import { hasTmux, TmuxTerminal } from '../support/tmux.js';

let terminal: TmuxTerminal | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  terminal?.kill();
  await server?.close();
});

/** Lines the server received after TLS (EHLO, AUTH, NOOP, QUIT), with the AUTH secret decoded. */
interface Secured {
  lines: string[];
  secret?: string;
}

/** An SMTP server offering STARTTLS then AUTH PLAIN; it accepts only "hunter2-secret". */
async function authServer(): Promise<{ server: FakeServer; secured: Secured }> {
  const secured: Secured = { lines: [] };
  const started = await fakeServer(async (c) => {
    c.send('220 ready\r\n');
    await c.line();
    c.send('250-mx\r\n250 STARTTLS\r\n');
    await c.line();
    c.send('220 go\r\n');
    await c.upgrade(tlsOf(testPki().leaf));
    for (;;) {
      const line = await c.line();
      secured.lines.push(line);
      if (/^EHLO/.test(line)) c.send('250-mx\r\n250 AUTH PLAIN\r\n');
      else if (/^AUTH PLAIN /.test(line)) {
        secured.secret = Buffer.from(line.slice('AUTH PLAIN '.length), 'base64').toString('utf8').split('\0')[2];
        c.send(secured.secret === 'hunter2-secret' ? '235 2.7.0 ok\r\n' : '535 5.7.8 no\r\n');
      } else if (/^NOOP$/.test(line)) c.send('250 2.0.0 noop ok\r\n');
      else if (/^QUIT$/.test(line)) {
        c.send('221 bye\r\n');
        c.end();
        return;
      } else c.send('500 what\r\n');
    }
  });
  return { server: started, secured };
}

/**
 * mailprobe in tmux, connected with STARTTLS and at the password prompt (with stdout piped
 * to cat: only the input is a terminal). The shell prints the terminal's echo and
 * canonical-mode flags after mailprobe exits.
 */
async function atPasswordPrompt(port: number, { piped = false } = {}): Promise<TmuxTerminal> {
  const command = [process.execPath, BIN, '-connect', `localhost:${port}`, '-starttls', 'smtp', '-CAfile', testPki().ca.cert];
  const run = piped ? '"$@" | cat; code=$?' : '"$@"; code=$?';
  const script = `${run}; echo "[tty $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon)' | tr '\\n' ' ')]"; exit $code`;
  const tty = new TmuxTerminal(['sh', '-c', script, 'sh', ...command], { MAILPROBE_PASSWORD: '' });
  await tty.waitFor(/^250 AUTH PLAIN$/m);
  tty.type(':auth PLAIN bob');
  tty.key('Enter');
  await tty.waitFor(/^Password for bob:$/m);
  return tty;
}

describe.runIf(hasTmux)('the no-echo password prompt in a real terminal', () => {
  it('Ctrl-D cancels :auth with nothing sent, and the session goes on', async () => {
    const { server: s, secured } = await authServer();
    server = s;
    const tty = (terminal = await atPasswordPrompt(s.port));
    tty.type('half-typed');
    tty.key('C-d');
    await tty.waitFor(/^-- :auth cancelled: no password given$/m);
    await tty.waitFor(/^>$/m);
    tty.type('NOOP');
    await tty.waitFor(/^> NOOP$/m); // echo is back
    tty.key('Enter');
    await tty.waitFor(/^250 2\.0\.0 noop ok$/m);
    tty.type('QUIT');
    tty.key('Enter');
    const screen = await tty.waitFor(/\[exit \d+\]/);
    expect(screen).toMatch(/\[exit 0\]/);
    expect(screen).not.toContain('half-typed');
    expect(secured.lines).toEqual(['EHLO [127.0.0.1]', 'NOOP', 'QUIT']);
  });

  it('Ctrl-C exits at once with code 130, nothing sent, the terminal echoing again', async () => {
    const { server: s, secured } = await authServer();
    server = s;
    const tty = (terminal = await atPasswordPrompt(s.port));
    tty.type('half-typed');
    tty.key('C-c');
    const screen = await tty.waitFor(/\[tty [^\]]*\][\s\S]*\[exit \d+\]/);
    expect(screen).toMatch(/\[exit 130\]/);
    expect(/\[tty ([^\]]*)\]/.exec(screen)?.[1].trim().split(' ').sort()).toEqual(['echo', 'icanon']);
    expect(screen).not.toContain('half-typed');
    expect(secured.lines).toEqual(['EHLO [127.0.0.1]']);
    expect(secured.secret).toBeUndefined();
  });

  it('an empty line cancels :auth with nothing sent (an empty password comes only from --pass-file)', async () => {
    const { server: s, secured } = await authServer();
    server = s;
    const tty = (terminal = await atPasswordPrompt(s.port));
    tty.key('Enter');
    await tty.waitFor(/^-- :auth cancelled: no password given$/m);
    tty.type('NOOP');
    tty.key('Enter');
    await tty.waitFor(/^250 2\.0\.0 noop ok$/m);
    tty.key('C-d');
    const screen = await tty.waitFor(/\[exit \d+\]/);
    expect(screen).toMatch(/\[exit 0\]/);
    expect(secured.lines).toEqual(['EHLO [127.0.0.1]', 'NOOP', 'QUIT']);
  });

  it('a typed password, corrected with Ctrl-U and Backspace, is sent right and never shown', async () => {
    const { server: s, secured } = await authServer();
    server = s;
    const tty = (terminal = await atPasswordPrompt(s.port));
    tty.type('wrong-guess');
    tty.key('C-u');
    tty.type('hunter2-secrex');
    tty.key('BSpace');
    tty.type('t');
    tty.key('Enter');
    await tty.waitFor(/^-- authenticated as bob with PLAIN$/m);
    tty.type('NOOP');
    await tty.waitFor(/^> NOOP$/m);
    tty.key('Enter');
    await tty.waitFor(/^250 2\.0\.0 noop ok$/m);
    tty.key('C-d');
    const screen = await tty.waitFor(/\[exit \d+\]/);
    expect(screen).toMatch(/\[exit 0\]/);
    expect(screen).toMatch(/^Password for bob:$/m);
    expect(screen).not.toMatch(/wrong|hunter2|secre/);
    expect(screen).toMatch(/^=> AUTH PLAIN \[redacted\]$/m);
    expect(secured.secret).toBe('hunter2-secret');
    expect(secured.lines).toEqual(['EHLO [127.0.0.1]', expect.stringMatching(/^AUTH PLAIN /), 'NOOP', 'QUIT']);
  });

  it('keys pasted after the password in the same read go to the session prompt, a CRLF counting as one Enter', async () => {
    const { server: s, secured } = await authServer();
    server = s;
    const tty = (terminal = await atPasswordPrompt(s.port));
    // Longer than node:readline's crlfDelay (100 ms) since the Enter of the :auth line, or
    // readline itself would take the stray LF for the end of that CRLF.
    await sleep(300);
    tty.type('hunter2-secret\r\nNOOP\r');
    await tty.waitFor(/^250 2\.0\.0 noop ok$/m);
    tty.key('C-d');
    const screen = await tty.waitFor(/\[exit \d+\]/);
    expect(screen).toMatch(/\[exit 0\]/);
    expect(screen).not.toContain('hunter2');
    expect(secured.secret).toBe('hunter2-secret');
    expect(secured.lines).toEqual(['EHLO [127.0.0.1]', expect.stringMatching(/^AUTH PLAIN /), 'NOOP', 'QUIT']);
  });

  it('with stdout piped, Ctrl-D cancels, a typed password is sent right, and the terminal is cooked again after', async () => {
    const { server: s, secured } = await authServer();
    server = s;
    const tty = (terminal = await atPasswordPrompt(s.port, { piped: true }));
    tty.type('half-typed');
    tty.key('C-d');
    await tty.waitFor(/^-- :auth cancelled: no password given$/m);
    tty.type(':auth PLAIN bob');
    await tty.waitFor(/^-- :auth cancelled: no password given\n:auth PLAIN bob$/m); // the terminal echoes again
    tty.key('Enter');
    await tty.waitFor(/^Password for bob:\n[\s\S]*^Password for bob:$/m);
    tty.type('hunter2-secrex');
    tty.key('BSpace');
    tty.type('t');
    tty.key('Enter');
    await tty.waitFor(/^-- authenticated as bob with PLAIN$/m);
    tty.type('QUIT');
    tty.key('Enter');
    const screen = await tty.waitFor(/\[tty [^\]]*\][\s\S]*\[exit \d+\]/);
    expect(/\[tty ([^\]]*)\]/.exec(screen)?.[1].trim().split(' ').sort()).toEqual(['echo', 'icanon']);
    expect(screen).not.toMatch(/half|hunter2|secre/);
    expect(secured.secret).toBe('hunter2-secret');
    expect(secured.lines).toEqual(['EHLO [127.0.0.1]', expect.stringMatching(/^AUTH PLAIN /), 'QUIT']);
  });

  it('Ctrl-C at the cleartext-credentials question still exits 130 with nothing sent', async () => {
    server = await fakeServer(async (c) => {
      c.send('220 ready\r\n');
      await c.line().catch(() => {});
    });
    terminal = new TmuxTerminal([process.execPath, BIN, '-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp']);
    await terminal.waitFor(/^220 ready$/m);
    terminal.type('AUTH PLAIN AGJvYgBzM2NyZXQ=');
    terminal.key('Enter');
    await terminal.waitFor(/Send it anyway\? \[y\/N\]/);
    terminal.key('C-c');
    await terminal.waitFor(/\[exit 130\]/);
    expect(server.received).toEqual([]);
  });
});
