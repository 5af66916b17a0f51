// Message content checked a region at a time: where the final "." is, how many lines come
// before it and whether any line ending must change. The search runs in WebAssembly SIMD
// (lineScan.wat), 16 bytes a step; JavaScript looks only at the lines it stops at — those
// after which a line starts with "." and those whose ending is not the one wanted.
import { LINE_SCAN_WASM } from './lineScanWasm.js';

/** The most bytes one region may hold. */
export const MAX_SCAN_BYTES = 1 << 20;
/**
 * The most bytes of content one batch stages before it is sent. Half a region: what a batch
 * touches is memory the process would not otherwise use, and on a VM each page touched for
 * the first time is a trip to the host (100 MB from a file took ~150 ms longer in 1 MB batches).
 */
export const BATCH_BYTES = 512 << 10;

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const WANT_LF = 0;
const WANT_CRLF = 1;
const DOTS_ONLY = 2;
/** Zero bytes before each area (the byte before a region's first) and after it (the loads past its end). */
const BEFORE = 16;
const AFTER = 32;
/** Batches being filled or sent at once; with every one still being sent, content goes unstaged. */
const SLOTS = 3;
/** A slot holds a batch whose line endings were changed: at most twice the bytes read. */
const SLOT_BYTES = 2 * BATCH_BYTES;
const WASM_PAGE = 64 << 10;

interface Scanner {
  memory: Uint8Array;
  scan(base: number, from: number, len: number, mode: number): number;
  lines: WebAssembly.Global;
  /** Where the scratch area starts, for regions scanned where they are not sent from. */
  scratch: number;
  /** Where each slot starts, and whether the batch in it is still being sent. */
  slots: { base: number; busy: boolean }[];
}

let scanner: Scanner | undefined;

function instance(): Scanner {
  if (scanner) return scanner;
  const module = new WebAssembly.Module(Buffer.from(LINE_SCAN_WASM, 'base64'));
  const { exports } = new WebAssembly.Instance(module);
  const memory = exports.memory as WebAssembly.Memory;
  const area = (bytes: number) => BEFORE + bytes + AFTER;
  const total = area(MAX_SCAN_BYTES) + SLOTS * area(SLOT_BYTES);
  const have = memory.buffer.byteLength;
  if (total > have) memory.grow(Math.ceil((total - have) / WASM_PAGE));
  const slots = Array.from({ length: SLOTS }, (_, i) => ({ base: area(MAX_SCAN_BYTES) + i * area(SLOT_BYTES) + BEFORE, busy: false }));
  scanner = { memory: new Uint8Array(memory.buffer), scan: exports.scan as Scanner['scan'], lines: exports.lines as WebAssembly.Global, scratch: BEFORE, slots };
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
  const { memory, scratch } = instance();
  memory.set(region, scratch);
  return scanAt(scratch, region, crlf);
}

/** Scans the region copied to `base` in the scanner's memory (`region` is a view of it, or its source). */
function scanAt(base: number, region: Uint8Array, crlf: boolean): ContentScan {
  const { memory, scan, lines: counted } = instance();
  const len = region.length;
  memory.fill(0, base + len, base + len + AFTER);
  let lines = 0;
  let convert = false;
  let at = 0;
  while (at < len) {
    const lf = scan(base, at, len, convert ? DOTS_ONLY : crlf ? WANT_CRLF : WANT_LF);
    lines += counted.value as number;
    if (lf === len) return { end: len, lines, convert };
    if ((lf > 0 && region[lf - 1] === CR) !== crlf) convert = true;
    lines++;
    at = lf + 1;
    if (at < len && isDotLine(region, at)) break;
  }
  return { end: at, lines, convert };
}

/**
 * Content staged for one write in the scanner's own memory: each region is copied in after
 * the batch's bytes, checked there and sent from there. The copy is the one the check needs
 * anyway, and a batch is one write however small the pieces the input came in (a pipe gives
 * 64 KB) — a write costs TLS a record boundary and a turn of the event loop. A slot is
 * filled again only once the write of its batch is done (`release`).
 */
export class ContentBatch {
  /** Bytes staged so far. */
  used = 0;
  private released = false;

  private constructor(private readonly slot: { base: number; busy: boolean }) {
    slot.busy = true;
  }

  /** A batch in a free slot; undefined while every slot's batch is still being sent. */
  static open(): ContentBatch | undefined {
    const slot = instance().slots.find((each) => !each.busy);
    return slot && new ContentBatch(slot);
  }

  /** How many more bytes of input the batch takes (its line endings changed, they fit). */
  get room(): number {
    return Math.max(0, BATCH_BYTES - this.used);
  }

  /**
   * Stages `region` (as for scanContent, at most `room` bytes) up to the scan's end, its line
   * endings made `ending` where they are not; returns the scan.
   */
  add(region: Buffer, ending: '\r\n' | '\n'): ContentScan {
    const { memory } = instance();
    const at = this.slot.base + this.used;
    memory.set(region, at);
    const scanned = scanAt(at, memory.subarray(at, at + region.length), ending === '\r\n');
    // Re-ended from the input itself, over the copy (at most a byte more per line: it fits).
    const kept = scanned.convert ? withEndings(region.subarray(0, scanned.end), ending, memory.subarray(at)) : scanned.end;
    this.used += kept;
    return scanned;
  }

  /** The staged bytes, valid until `release`. */
  bytes(): Buffer {
    const { memory } = instance();
    return Buffer.from(memory.buffer, memory.byteOffset + this.slot.base, this.used);
  }

  /** The batch's write is done (or will never be made): its slot may be filled again. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.slot.busy = false;
  }
}

/**
 * Whole LF-ended lines (a CR before an LF belongs to the ending) re-ended with `ending`,
 * written into `out`, which has room for a byte more per line; returns the bytes written.
 */
export function withEndings(region: Uint8Array, ending: '\r\n' | '\n', out: Uint8Array): number {
  let written = 0;
  let lineStart = 0;
  while (lineStart < region.length) {
    const lf = region.indexOf(LF, lineStart);
    const end = lf > lineStart && region[lf - 1] === CR ? lf - 1 : lf;
    out.set(region.subarray(lineStart, end), written);
    written += end - lineStart;
    if (ending === '\r\n') out[written++] = CR;
    out[written++] = LF;
    lineStart = lf + 1;
  }
  return written;
}
