// Property-based fuzzing of terminal escaping (escapeBytes, escapeText) and of the JSON
// writer: whatever a server sends, what reaches the terminal or a --json reader cannot move
// the cursor, retitle the window, reorder or hide text; and nothing is lost (escapes can be
// read back into the exact bytes, the JSON parses back into the exact strings).
//
// Default budget: FUZZ_RUNS=200 cases per property. A long run:
//     FUZZ_RUNS=20000 npx vitest run test/fuzz
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeBytes, escapeText } from '../../src/terminal/escape.js';
import { jsonDocument } from '../../src/terminal/json.js';
import { budget, bytesArb } from './support.js';

/**
 * What must never be written raw, by Unicode property: controls (C0 but TAB, DEL, C1),
 * format characters (bidi controls, zero-width and tag characters, soft hyphen…),
 * surrogates, private use, unassigned code points and noncharacters (all \p{C}), the line and
 * paragraph separators, and every Default_Ignorable_Code_Point.
 */
const FORBIDDEN = /(?!\t)[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
/** The same for JSON, whose only raw control is the newline between its lines. */
const FORBIDDEN_IN_JSON = /(?!\n)[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/** The characters that matter most here, one or more from each class escaped, and some that are not. */
const TRICKY_TEXT = [
  '\u202e', '\u2066', '\u2069', '\u200b', '\u200d', '\u061c', '\ufeff', '\u2028', '\u2029', '\u0085', '\u009b', '\u00ad', '\u034f',
  '\u115f', '\u1160', '\u3164', '\uffa0', '\u180e', '\u17b4', '\u2064', '\u206a', '\ufe0f', '\u0600', '\ufff0', '\ufdd0', '\uffff',
  '\ue000', '\u0378', '\u{e0001}', '\u{e0041}', '\u{e007f}', '\u{e0100}', '\u{1bca0}', '\u{1d173}', '\u{10fffd}', '\u{1fffe}',
  '\u00a0', '\u00e9', 'e\u0301', '\u4e2d', '\u05d0', '\u{1f600}', '\u{1f3fd}', '\ufffd', '\ufff9', '\u2060', '\x7f', '\x1b', '\t', '\n',
];
const TRICKY = TRICKY_TEXT.map((c) => Buffer.from(c, 'utf8'));
const UTF8_ODDITIES = [[0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x80], [0xf0, 0x9f], [0x80], [0xc2], [0xef, 0xbb, 0xbf]].map((b) => Buffer.from(b));

const inputArb = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  bytesArb(150),
  fc.array(fc.oneof(fc.constantFrom(...TRICKY, ...UTF8_ODDITIES), bytesArb(4)), { maxLength: 30 }).map((parts) => Buffer.concat(parts)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
);

// A styler that brackets escapes with private-use characters, so they can be told apart
// from text the server sent: private-use characters the server sends are escaped themselves.
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
  it('leaves nothing invisible, reordering or meaningless: no C0 (but TAB), DEL, C1, format, private-use or unassigned code point', () => {
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
      fc.property(inputArb, (bytes) => {
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

/** Any string, lone surrogates included (a string can hold them, UTF-8 cannot). */
const textArb = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.oneof(fc.constantFrom(...TRICKY_TEXT), fc.string({ maxLength: 3 })), { maxLength: 20 }).map((parts) => parts.join('')),
);

describe('escapeText (fuzz)', () => {
  it('leaves nothing raw that escapeBytes would escape, lone surrogates included', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const out = escapeText(text, (s) => `[${s}]`);
        expect(FORBIDDEN.test(out), JSON.stringify(out)).toBe(false);
      }),
      budget(),
    );
  });

  it('agrees with escapeBytes on well-formed text', () => {
    fc.assert(
      fc.property(textArb.filter((text) => !/\p{Cs}/u.test(text)), (text) => {
        expect(escapeText(text)).toBe(escapeBytes(Buffer.from(text, 'utf8')));
      }),
      budget(),
    );
  });
});

describe('jsonDocument (fuzz)', () => {
  it('a string: parses back to exactly that string, and holds no raw code point the escaper escapes', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const json = jsonDocument(text);
        expect(JSON.parse(json)).toBe(text);
        expect(FORBIDDEN_IN_JSON.test(json), json).toBe(false);
      }),
      budget(),
    );
  });

  it('a document: parses back to what JSON.stringify gives (keys and values), and holds no raw code point the escaper escapes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: fc.oneof(fc.constantFrom(...TRICKY_TEXT), textArb), maxDepth: 3 }), (value) => {
        // Compared through JSON.stringify, which writes -0 as 0: the writer changes only how strings are spelled.
        const expected = JSON.parse(JSON.stringify(value));
        const json = jsonDocument(value);
        expect(JSON.parse(json)).toEqual(expected);
        expect(FORBIDDEN_IN_JSON.test(json), json).toBe(false);
        const line = jsonDocument(value, 0);
        expect(JSON.parse(line)).toEqual(expected);
        expect(line).not.toContain('\n');
      }),
      budget(),
    );
  });

  it('changes nothing but the escapes: a document with nothing to escape is what JSON.stringify writes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 3 }), (value) => {
        const plain = JSON.stringify(value, null, 2);
        if (!FORBIDDEN_IN_JSON.test(plain)) expect(jsonDocument(value)).toBe(plain);
      }),
      budget(),
    );
  });
});
