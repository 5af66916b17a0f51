// How the connection core's events read in a session.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sessionObserver } from '../../src/session/observer.js';
import { Printer } from '../../src/terminal/printer.js';
import { palette } from '../../src/terminal/style.js';
import { smtp } from '../../src/protocols/smtp/index.js';
import type { SessionOptions } from '../../src/client/options.js';

function capture() {
  let out = '';
  let err = '';
  const stream = (append: (text: string) => void) => new Writable({ write: (chunk, _encoding, done) => (append(String(chunk)), done()) });
  const printer = new Printer(stream((t) => (out += t)), stream((t) => (err += t)), palette(0));
  return { printer, text: () => ({ out, err }) };
}

const options = (port: number, mode: SessionOptions['mode']) => ({ port, mode, protocol: smtp, quiet: false } as SessionOptions);

describe('a server that says nothing', () => {
  it.each([465, 993, 995])('on port %i with STARTTLS: the hint says the port usually expects TLS first', (port) => {
    const { printer, text } = capture();
    sessionObserver(printer, options(port, 'starttls')).event({ kind: 'greeting-slow' });
    expect(text().err).toMatch(new RegExp(`no greeting yet: port ${port} usually expects TLS from the start; try -tls`));
  });

  it('on port 25: greet-pause is the likely reason, and the note says so', () => {
    const { printer, text } = capture();
    sessionObserver(printer, options(25, 'starttls')).event({ kind: 'greeting-slow' });
    expect(text().out).toMatch(/greet-pause/);
    expect(text().err).toBe('');
  });
});
