// Message content checked a region at a time: where the final "." is, how many lines come
// before it and whether any line ending must change. The search runs in WebAssembly SIMD
// (lineScan.wat), 16 bytes a step; JavaScript looks only at the lines it stops at — those
// after which a line starts with "." and those whose ending is not the one wanted.
import { LINE_SCAN_WASM } from './lineScanWasm.js';

/** The most bytes one region may hold. */
export const MAX_SCAN_BYTES = 1 << 20;

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
/** Where a region starts in the scanner's memory (the bytes before are zero). */
const AT = 16;
const WANT_LF = 0;
const WANT_CRLF = 1;
const DOTS_ONLY = 2;

interface Scanner {
  memory: Uint8Array;
  scan(from: number, len: number, mode: number): number;
  lines: WebAssembly.Global;
}

let scanner: Scanner | undefined;

function instance(): Scanner {
  if (scanner) return scanner;
  const module = new WebAssembly.Module(Buffer.from(LINE_SCAN_WASM, 'base64'));
  const { exports } = new WebAssembly.Instance(module);
  const memory = exports.memory as WebAssembly.Memory;
  scanner = { memory: new Uint8Array(memory.buffer), scan: exports.scan as Scanner['scan'], lines: exports.lines as WebAssembly.Global };
  return scanner;
}

/** The line at `at` (which starts a line) is the final ".": "." then LF, or ".", CR, LF. */
export function isDotLine(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === DOT && (bytes[at + 1] === LF || (bytes[at + 1] === CR && bytes[at + 2] === LF));
}

export interface ContentScan {
  /** Where the content ends: the region's end, or the start of its final "." line. */
  end: number;
  /** Whole lines before `end`. */
  lines: number;
  /** Some line before `end` does not end with the ending wanted. */
  convert: boolean;
}

/**
 * Scans `region` (whole lines, ending with an LF, at most MAX_SCAN_BYTES, not starting
 * with the final "."), wanting every line to end with CRLF (`crlf`) or a bare LF.
 */
export function scanContent(region: Uint8Array, crlf: boolean): ContentScan {
  const { memory, scan, lines: counted } = instance();
  const len = region.length;
  memory.set(region, AT);
  memory.fill(0, AT + len, AT + len + 32);
  let lines = 0;
  let convert = false;
  let at = 0;
  while (at < len) {
    const lf = scan(at, len, convert ? DOTS_ONLY : crlf ? WANT_CRLF : WANT_LF);
    lines += counted.value as number;
    if (lf === len) return { end: len, lines, convert };
    if ((lf > 0 && region[lf - 1] === CR) !== crlf) convert = true;
    lines++;
    at = lf + 1;
    if (at < len && isDotLine(region, at)) break;
  }
  return { end: at, lines, convert };
}
