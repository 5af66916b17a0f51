// Makes server bytes safe to show: printable text as it is, and every control byte,
// invalid UTF-8 byte and invisible, reordering or meaningless code point as a visible
// escape, so nothing a server sends can move the cursor, retitle the window, clear the
// screen, hide text or reorder what the user reads. The JSON writer (json.ts) escapes the
// same code points, so a script that reads mailprobe's JSON is protected the same way.

/**
 * The code points never written as they are, by Unicode's own properties (so the runtime's
 * Unicode tables decide, not a hand-kept list that misses the next invisible character):
 *
 * - Other (C): Cc controls (C0, DEL, C1), Cf format characters (bidi embeddings, overrides
 *   and isolates, LRM/RLM/ALM, zero-width space and joiners, soft hyphen, tag characters,
 *   invisible operators, prepended concatenation marks…), Cs surrogates, Co private use
 *   (no meaning of their own: blank, a box or an icon depending on the user's font), Cn
 *   unassigned code points and noncharacters (no terminal knows how wide they are).
 * - Zl and Zp, U+2028 and U+2029: line breaks to some terminals and to JavaScript.
 * - Default_Ignorable_Code_Point: what Unicode says to render as nothing, including the
 *   letters and marks among them: Hangul fillers, the combining grapheme joiner, variation
 *   selectors (which can carry hidden data), Mongolian free variation selectors.
 *
 * Letters, marks, digits, punctuation, symbols (emoji included) and spaces of any width are
 * shown. The zero-width joiner and variation selectors inside emoji sequences are escaped
 * too: safety over pretty. A character assigned after the runtime's Unicode version (Node
 * 20.20: Unicode 17) is shown escaped until Node knows it, which loses nothing.
 */
import type { SafeText } from './safeText.js';

const ESCAPED = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

// Verdicts are cached (128 KB) for the BMP and the plane of emoji, so text in any script costs
// a table lookup per character instead of a regex test; 0 = not asked yet, 1 = shown, 2 = escaped.
const CACHED = 0x20000;
const verdicts = new Uint8Array(CACHED);

/**
 * True for a code point that output (terminal or JSON) writes only as an escape. TAB is a
 * control like the others: escapeBytes lets it through by choice, JSON writes it as \t.
 */
export function mustEscape(cp: number): boolean {
  if (cp < 0x80) return cp < 0x20 || cp === 0x7f;
  if (cp >= CACHED) return ESCAPED.test(String.fromCodePoint(cp));
  let verdict = verdicts[cp];
  if (verdict === 0) verdicts[cp] = verdict = ESCAPED.test(String.fromCodePoint(cp)) ? 2 : 1;
  return verdict === 2;
}

const NAMED: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x00: '\\0', 0x1b: '\\e', 0x08: '\\b', 0x07: '\\a' };

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/**
 * The code point of the well-formed UTF-8 sequence at i, or -1: RFC 3629's table, as
 * continuation bytes 80-BF plus the range each length must land in (no overlong forms, no
 * surrogates, nothing past U+10FFFF). A valid sequence's length follows from its code point.
 */
function codePointAt(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  const left = bytes.length - i;
  // Each continuation byte XOR 0x80 is its six payload bits; any other byte gives 0x40 or more.
  if (b0 >= 0xc2 && b0 <= 0xdf && left >= 2) {
    const c1 = bytes[i + 1] ^ 0x80;
    return c1 < 0x40 ? ((b0 & 0x1f) << 6) | c1 : -1;
  }
  if (b0 >= 0xe0 && b0 <= 0xef && left >= 3) {
    const c1 = bytes[i + 1] ^ 0x80;
    const c2 = bytes[i + 2] ^ 0x80;
    if ((c1 | c2) >= 0x40) return -1;
    const cp = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? cp : -1;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4 && left >= 4) {
    const c1 = bytes[i + 1] ^ 0x80;
    const c2 = bytes[i + 2] ^ 0x80;
    const c3 = bytes[i + 3] ^ 0x80;
    if ((c1 | c2 | c3) >= 0x40) return -1;
    const cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return cp >= 0x10000 && cp <= 0x10ffff ? cp : -1;
  }
  return -1;
}

const utf8Length = (cp: number) => (cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

export type EscapeStyler = (escape: string) => string;

/**
 * Renders bytes as safe text. `style` marks each escape (e.g. inverse video) so it cannot be
 * mistaken for text the server sent; tabs pass through, as they can only move right.
 */
export function escapeBytes(bytes: Uint8Array, style: EscapeStyler = (s) => s): SafeText {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let out = '';
  let run = 0; // start of the current run of bytes shown as they are: valid UTF-8, nothing to escape
  let ascii = true; // the run is ASCII alone: latin1 decodes 10 MB of it in ~2 ms, utf8 in ~14 ms
  const shown = (end: number) => buffer.toString(ascii ? 'latin1' : 'utf8', run, end);
  let i = 0;
  while (i < buffer.length) {
    const b = buffer[i];
    if ((b >= 0x20 && b < 0x7f) || b === 0x09) {
      i++;
      continue;
    }
    let length = 1;
    let escape: string;
    if (b < 0x80) escape = NAMED[b] ?? `\\x${hex2(b)}`;
    else {
      const cp = codePointAt(buffer, i);
      if (cp < 0) escape = `\\x${hex2(b)}`;
      else if (!mustEscape(cp)) {
        i += utf8Length(cp);
        ascii = false;
        continue;
      } else {
        length = utf8Length(cp);
        escape = `\\u{${cp.toString(16)}}`;
      }
    }
    if (i > run) out += shown(i);
    out += style(escape);
    i += length;
    run = i;
    ascii = true;
  }
  return (run < buffer.length ? out + shown(buffer.length) : out) as SafeText;
}

/** A surrogate without its other half: a string can hold one, UTF-8 cannot. */
const LONE_SURROGATE = /(\p{Cs})/u;

/** The same for text that reached us as a string (certificate fields, error messages). */
export function escapeText(text: string, style: EscapeStyler = (s) => s): SafeText {
  // Buffer.from would turn a lone surrogate into U+FFFD silently: show which one it was.
  if (!LONE_SURROGATE.test(text)) return escapeBytes(Buffer.from(text, 'utf8'), style);
  return text
    .split(LONE_SURROGATE)
    .map((part, k) => (k % 2 === 1 ? style(`\\u{${part.charCodeAt(0).toString(16)}}`) : escapeBytes(Buffer.from(part, 'utf8'), style)))
    .join('') as SafeText;
}
