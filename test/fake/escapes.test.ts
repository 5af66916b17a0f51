// Hostile bytes in server lines and certificate fields: shown escaped, never written raw
// to the terminal.
import { describe, expect, it } from 'vitest';
import { expectLine, fakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

const HOSTILE =
  '220 \x1b]0;pwned title\x07 \x1b[2J\x1b[H clear \x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\ bell\x07 bs\b\b\b cr\roverwrite nul\x00 ' +
  'c1\xc2\x9b31m bad\xff\xfe utf8 \xe2\x80\xae rlo-text \xe2\x81\xa6 isolate\r\n';

describe('terminal injection from the server', () => {
  it('escapes control bytes, C1 controls, invalid UTF-8 and bidi overrides in a greeting', async () => {
    const server = await fakeServer(async (client) => {
      client.send(Buffer.from(HOSTILE, 'latin1'));
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], {
        input: '',
        env: { FORCE_COLOR: '1', NO_COLOR: '' },
      });
      expect(result.code).toBe(0);
      const bytes = result.stdoutBytes;
      const greeting = result.stdout.split('\n').find((line) => line.includes('pwned')) ?? '';
      // Every ESC in the output belongs to mailprobe's own colour codes (CSI ... m), none to the server.
      const escapes = [...bytes.toString('latin1').matchAll(/\x1b(.)/g)].map((m) => m[1]);
      expect(escapes.every((c) => c === '[')).toBe(true);
      const stripped = greeting.replace(/\x1b\[[0-9;]*m/g, '');
      expect(stripped).toContain('\\e]0;pwned title\\a');
      expect(stripped).toContain('\\e[2J\\e[H clear');
      expect(stripped).toContain('\\e]8;;http://evil.test\\e\\link');
      expect(stripped).toContain('bs\\b\\b\\b cr\\roverwrite nul\\0');
      expect(stripped).toContain('c1\\u{9b}31m bad\\xff\\xfe utf8 \\u{202e} rlo-text \\u{2066} isolate');
      for (const raw of [0x07, 0x08, 0x00, 0x0d, 0x9b, 0xff]) expect(bytes.includes(raw)).toBe(false);
      expect(bytes.includes(Buffer.from('\u202e', 'utf8'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('shows bare CR and bare LF endings without letting CR overwrite the line', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 first\rSECOND\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\n');
      client.end();
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], { input: '' });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('220 first\\rSECOND');
      expect(result.stdout).toContain('221 bye');
    } finally {
      await server.close();
    }
  });

  it('shows text without a line ending after a short pause, marked as unfinished', async () => {
    const server = await fakeServer(async (client) => {
      client.send('220 ready\r\n');
      await expectLine(client, /^NOOP$/);
      client.send('250 partial answer');
      await new Promise((r) => setTimeout(r, 600));
      client.send(' completed\r\n');
      await expectLine(client, /^QUIT$/);
      client.send('221 bye\r\n');
      client.end();
    });
    try {
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'smtp'], { input: 'NOOP\n' });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^250 partial answer \u2026\n completed\n/m);
    } finally {
      await server.close();
    }
  });
});
