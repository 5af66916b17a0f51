// Property-based fuzzing of terminal escaping (escapeBytes, escapeText): whatever a server
// sends, what reaches the terminal cannot move the cursor, retitle the window, reorder or
// hide text; and nothing is lost (escapes can be read back into the exact bytes).
//
// Default budget: FUZZ_RUNS=200 cases per property. A long run:
//     FUZZ_RUNS=20000 npx vitest run test/fuzz
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeBytes, escapeText } from '../../src/terminal/escape.js';
import { budget, bytesArb } from './support.js';

/** C0 except TAB, DEL, C1, bidi controls and marks, zero-width and invisible characters. */
const FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/u;

/** UTF-8 of the characters that matter most here, mixed into random bytes. */
const TRICKY = ['\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\u061c', '\ufeff', '\u2028', '\u0085', '\u009b', '\u00a0', '\u00e9', '\u4e2d', '\u{1f600}', '\ufffd', '\ufff9', '\u2060']
  .map((c) => Buffer.from(c, 'utf8'));
const UTF8_ODDITIES = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x80], [0xf0, 0x9f], [0x80], [0xc2], [0xef, 0xbb, 0xbf]].map((b) => Buffer.from(b));

const inputArb = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  bytesArb(150),
  fc.array(fc.oneof(fc.constantFrom(...TRICKY, ...UTF8_ODDITIES), bytesArb(4)), { maxLength: 30 }).map((parts) => Buffer.concat(parts)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
);

// A styler that brackets escapes with private-use characters, so they can be told apart
// from text the server sent (inputs holding those two characters are left out).
const OPEN = '\ue000';
const CLOSE = '\ue001';
const marked = (escape: string) => `${OPEN}${escape}${CLOSE}`;
const NAMED: Record<string, number> = { '\\r': 0x0d, '\\n': 0x0a, '\\0': 0x00, '\\e': 0x1b, '\\b': 0x08, '\\a': 0x07 };

/** Reads escaped output back into bytes. */
function unescape(out: string): Buffer {
  const parts: Buffer[] = [];
  const re = new RegExp(`${OPEN}([^${CLOSE}]*)${CLOSE}`, 'gu');
  let last = 0;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    parts.push(Buffer.from(out.slice(last, m.index), 'utf8'));
    const escape = m[1]!;
    if (escape in NAMED) parts.push(Buffer.from([NAMED[escape]!]));
    else if (/^\\x[0-9a-f]{2}$/.test(escape)) parts.push(Buffer.from([parseInt(escape.slice(2), 16)]));
    else if (/^\\u\{[0-9a-f]+\}$/.test(escape)) parts.push(Buffer.from(String.fromCodePoint(parseInt(escape.slice(3, -1), 16)), 'utf8'));
    else throw new Error(`unknown escape ${JSON.stringify(escape)}`);
    last = m.index + m[0].length;
  }
  parts.push(Buffer.from(out.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

describe('escapeBytes (fuzz)', () => {
  it('leaves no C0 (but TAB), DEL, C1, bidi or invisible character, with or without a styler', () => {
    fc.assert(
      fc.property(inputArb, (bytes) => {
        const out = escapeBytes(bytes);
        expect(FORBIDDEN.test(out), JSON.stringify(out)).toBe(false);
        expect(FORBIDDEN.test(escapeBytes(bytes, (s) => `[${s}]`))).toBe(false);
      }),
      budget(),
    );
  });

  it('is deterministic, and gives well-formed text (no lone surrogates)', () => {
    fc.assert(
      fc.property(inputArb, (bytes) => {
        const out = escapeBytes(bytes);
        expect(escapeBytes(Buffer.from(bytes))).toBe(out);
        expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
      }),
      budget(),
    );
  });

  it('loses nothing: the escapes read back into exactly the input bytes', () => {
    fc.assert(
      fc.property(inputArb.filter((b) => !b.toString('utf8').includes(OPEN) && !b.toString('utf8').includes(CLOSE)), (bytes) => {
        expect(unescape(escapeBytes(bytes, marked)).equals(bytes)).toBe(true);
      }),
      budget(),
    );
  });

  it('passes printable ASCII, TAB and clean UTF-8 text through unchanged', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !FORBIDDEN.test(s)), (text) => {
        expect(escapeText(text)).toBe(text);
        expect(escapeBytes(Buffer.from(text, 'utf8'))).toBe(text);
      }),
      budget(),
    );
  });

  it('escapes each piece on its own when split after an ASCII byte (no state leaks across)', () => {
    fc.assert(
      fc.property(inputArb, inputArb, fc.integer({ min: 0x00, max: 0x7f }), (a, b, ascii) => {
        const left = Buffer.concat([a, Buffer.from([ascii])]);
        expect(escapeBytes(Buffer.concat([left, b]))).toBe(escapeBytes(left) + escapeBytes(b));
      }),
      budget(),
    );
  });

  it('reads only its own window of a shared buffer (Buffer slices and plain Uint8Arrays)', () => {
    fc.assert(
      fc.property(inputArb, fc.nat(), fc.nat(), (bytes, x, y) => {
        const start = x % (bytes.length + 1);
        const end = start + (y % (bytes.length - start + 1));
        const view = bytes.subarray(start, end);
        const copy = Buffer.from(view);
        expect(escapeBytes(view)).toBe(escapeBytes(copy));
        expect(escapeBytes(new Uint8Array(copy))).toBe(escapeBytes(copy));
      }),
      budget(),
    );
  });
});
