// Makes server bytes safe to show: printable text as it is, and every control byte,
// invalid UTF-8 byte, C1 control and bidirectional or invisible formatting character as
// a visible escape, so nothing a server sends can move the cursor, retitle the window,
// clear the screen or reorder what the user reads.

/** Code points shown escaped even though they are valid text. */
function isDeceptive(cp: number): boolean {
  return (
    (cp >= 0x80 && cp <= 0x9f) || // C1 controls (0x9b is a one-byte CSI)
    cp === 0x061c || // Arabic letter mark
    (cp >= 0x200b && cp <= 0x200f) || // zero-width space/joiners, LRM, RLM
    (cp >= 0x2028 && cp <= 0x202e) || // line/paragraph separators, bidi embeddings and overrides
    (cp >= 0x2060 && cp <= 0x2069) || // word joiner, invisible operators, bidi isolates
    cp === 0xfeff || // zero-width no-break space
    (cp >= 0xfff9 && cp <= 0xfffb) // interlinear annotation
  );
}

const NAMED: Record<number, string> = { 0x0d: '\\r', 0x0a: '\\n', 0x00: '\\0', 0x1b: '\\e', 0x08: '\\b', 0x07: '\\a' };

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Length of a well-formed UTF-8 sequence at i (RFC 3629 table), or 0. */
function utf8Length(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

export type EscapeStyler = (escape: string) => string;

/**
 * Renders bytes as safe text. `style` marks each escape (e.g. inverse video) so it cannot be
 * mistaken for text the server sent; tabs pass through, as they can only move right.
 */
export function escapeBytes(bytes: Uint8Array, style: EscapeStyler = (s) => s): string {
  let out = '';
  let run = 0; // start of the current run of plain ASCII
  const flush = (end: number) => {
    if (end > run) out += Buffer.from(bytes.buffer, bytes.byteOffset + run, end - run).toString('latin1');
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if ((b >= 0x20 && b < 0x7f) || b === 0x09) {
      i++;
      continue;
    }
    flush(i);
    if (b < 0x80) {
      out += style(NAMED[b] ?? `\\x${hex2(b)}`);
      i++;
    } else {
      const length = utf8Length(bytes, i);
      if (length === 0) {
        out += style(`\\x${hex2(b)}`);
        i++;
      } else {
        const char = Buffer.from(bytes.buffer, bytes.byteOffset + i, length).toString('utf8');
        const cp = char.codePointAt(0) ?? 0;
        out += isDeceptive(cp) ? style(`\\u{${cp.toString(16)}}`) : char;
        i += length;
      }
    }
    run = i;
  }
  flush(i);
  return out;
}

/** The same for text that reached us as a string (certificate fields, error messages). */
export function escapeText(text: string, style?: EscapeStyler): string {
  return escapeBytes(Buffer.from(text, 'utf8'), style);
}
