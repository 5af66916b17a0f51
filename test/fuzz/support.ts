// Shared pieces for the property-based fuzz tests in this folder (not a test file itself).
//
// Budget: every property runs FUZZ_RUNS cases (default 200, a few seconds for the folder).
// A long run, e.g. before a release or after touching a parser:
//
//     FUZZ_RUNS=20000 npx vitest run test/fuzz
//
// A failing property prints its seed and shrunk counterexample; replay it exactly with
// `fc.assert(..., { seed, path })` or paste the counterexample into a unit test.
import fc from 'fast-check';
import type { Framer, ServerLine } from '../../src/protocols/types.js';

export const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** fc.assert parameters: the run budget from FUZZ_RUNS, plus anything a property adds. */
export function budget<T>(extra: Partial<fc.Parameters<T>> = {}): fc.Parameters<T> {
  return { numRuns: RUNS, ...extra };
}

// ---------------------------------------------------------------------------------------
// Bytes

export const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Bytes that matter to line framing and to the protocols' tokens, to bias random data. */
const INTERESTING = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x20, 0x2d, 0x2e, 0x2b, 0x2a, 0x22, 0x5c, 0x7b, 0x7d, 0x30, 0x35, 0x39, 0x1b, 0x7f, 0x80, 0x9b, 0xc3, 0xe2, 0xff];

export const byteArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 255 }), weight: 3 },
  { arbitrary: fc.constantFrom(...INTERESTING), weight: 2 },
);

/** Snippets a hostile or broken server might send in the middle of anything. */
const SNIPPETS = [
  '\r\n', '\n', '\r', '{5}\r\n', '{0}\r\n', '{999999999999}\r\n', '{12+}\r\n', '{', '}', '.\r\n', '..', '250-', '250 ', '334 ',
  '354 go\r\n', '+OK', '-ERR', '+ ', 'a1 OK done\r\n', '* ', '* OK ', 'OK', 'NO', 'BYE', '"', '\\"', ' ', '\x1b[2J', '\0',
].map(latin1);

/** Random bytes, biased towards line endings and protocol tokens. */
export const bytesArb = (maxLength = 200): fc.Arbitrary<Buffer> =>
  fc
    .array(fc.oneof({ arbitrary: byteArb.map((b) => Buffer.from([b])), weight: 4 }, { arbitrary: fc.constantFrom(...SNIPPETS), weight: 1 }), {
      maxLength,
    })
    .map((parts) => Buffer.concat(parts));

/** A long run without LF (the classic unbounded-buffer attack), of one repeated byte. */
export const longRunArb = fc
  .tuple(fc.integer({ min: 0, max: 255 }).filter((b) => b !== 0x0a), fc.integer({ min: 1, max: 3000 }))
  .map(([byte, length]) => Buffer.alloc(length, byte));

export type Mutation =
  | { op: 'insert'; at: number; bytes: Buffer }
  | { op: 'delete'; at: number; length: number }
  | { op: 'replace'; at: number; bytes: Buffer };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(bytesArb(6), fc.constantFrom(...SNIPPETS)) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), bytes: bytesArb(4).filter((b) => b.length > 0) }),
);

/** Applies insert/delete/replace mutations; positions are taken modulo the current length. */
export function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = input;
  for (const m of mutations) {
    const at = m.at % (bytes.length + 1);
    if (m.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    else if (m.op === 'delete') bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    else bytes = Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at + m.bytes.length)]);
  }
  return bytes;
}

/**
 * Chunk sizes for splitting a buffer: chunks of these sizes in turn, the rest in a last
 * chunk; 0 gives an empty chunk. Sizes (not cut offsets) so counterexamples shrink well.
 */
export const cutsArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 300 })), { maxLength: 24 });

export function split(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    if (offset >= bytes.length) break;
    out.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  out.push(bytes.subarray(offset));
  return out;
}

// ---------------------------------------------------------------------------------------
// Framers

/** A conversation: lines the client sent and bytes the server sent, in order. */
export type Step = { sent: string } | { recv: Buffer };

export const ENDING_BYTES = { crlf: 2, lf: 1, none: 0 } as const;
const ENDING_TEXT = { crlf: '\r\n', lf: '\n', none: '' } as const;

export interface RunOptions {
  /** Chunk sizes per recv step (index modulo the list length); none: one chunk per step. */
  cuts?: readonly (readonly number[])[];
  /** After chunk k (counted over the whole run), call takePartial() when partials[k] is true. */
  partials?: readonly boolean[];
  /** Checked after every push: pendingBytes() and line sizes. */
  maxLine?: number;
}

export interface FramerRun {
  /** Everything observable, in order: framed lines, sent() results, partial lines. */
  events: string[];
  lines: ServerLine[];
  received: Buffer;
  pendingAtEnd: number;
  drained: Buffer;
}

export const describeLine = (line: ServerLine): string =>
  JSON.stringify([line.bytes.toString('latin1'), line.text, line.ending, line.tone, line.final, !!line.continued, !!line.literal]);

/**
 * Feeds a conversation to a framer and records what comes out. Throws (failing the
 * property) when a bound is broken: pending bytes above maxLine, or a longer line.
 */
export function runFramer(framer: Framer, steps: readonly Step[], options: RunOptions = {}): FramerRun {
  const events: string[] = [];
  const lines: ServerLine[] = [];
  const received: Buffer[] = [];
  let recvIndex = 0;
  let chunkIndex = 0;
  const check = (line: ServerLine, where: string) => {
    if (line.text !== line.bytes.toString('latin1')) throw new Error(`${where}: text is not the latin1 of bytes`);
    if (options.maxLine !== undefined && line.bytes.length > options.maxLine) {
      throw new Error(`${where}: a line of ${line.bytes.length} bytes exceeds maxLine ${options.maxLine}`);
    }
    if (line.literal && line.final) throw new Error(`${where}: literal data completed a reply`);
    if (line.literal && line.tone !== 'literal') throw new Error(`${where}: literal data with tone ${line.tone}`);
  };
  for (const step of steps) {
    if ('sent' in step) {
      events.push(`sent ${JSON.stringify(step.sent)} -> ${framer.sent(step.sent)}`);
      continue;
    }
    received.push(step.recv);
    const cuts = options.cuts && options.cuts.length > 0 ? options.cuts[recvIndex % options.cuts.length] : [];
    recvIndex++;
    for (const chunk of split(step.recv, cuts)) {
      for (const line of framer.push(chunk)) {
        check(line, 'push');
        lines.push(line);
        events.push(describeLine(line));
      }
      if (options.maxLine !== undefined && framer.pendingBytes() > options.maxLine) {
        throw new Error(`pendingBytes() ${framer.pendingBytes()} exceeds maxLine ${options.maxLine}`);
      }
      if (options.partials?.[chunkIndex]) {
        const partial = framer.takePartial();
        if (partial) {
          check(partial, 'takePartial');
          if (partial.final) throw new Error('a partial line (no line ending yet) completed a reply');
          lines.push(partial);
          events.push(`partial ${describeLine(partial)}`);
        }
      }
      chunkIndex++;
    }
  }
  const pendingAtEnd = framer.pendingBytes();
  const drained = framer.drain();
  if (drained.length !== pendingAtEnd) throw new Error(`drain() gave ${drained.length} bytes, pendingBytes() said ${pendingAtEnd}`);
  if (framer.pendingBytes() !== 0) throw new Error('pendingBytes() is not 0 after drain()');
  return { events, lines, received: Buffer.concat(received), pendingAtEnd, drained };
}

/** The bytes a run's lines stand for: their bytes and line endings, in order. */
export function reassemble(lines: readonly ServerLine[]): Buffer {
  return Buffer.concat(lines.map((line) => Buffer.concat([line.bytes, latin1(ENDING_TEXT[line.ending])])));
}

/**
 * What a run means, independent of how lines were cut into pieces: the stream offsets at
 * which replies end, and the byte ranges that are literal data (merged when adjacent).
 */
export interface Meaning {
  finals: number[];
  literals: Array<[number, number]>;
}

export function meaning(lines: readonly ServerLine[]): Meaning {
  const finals: number[] = [];
  const literals: Array<[number, number]> = [];
  let offset = 0;
  for (const line of lines) {
    const end = offset + line.bytes.length + ENDING_BYTES[line.ending];
    if (line.literal && end > offset) {
      const last = literals[literals.length - 1];
      if (last && last[1] === offset) last[1] = end;
      else literals.push([offset, end]);
    }
    if (line.final) finals.push(end);
    offset = end;
  }
  return { finals, literals };
}

/** Text made of short lines (CRLF, bare LF, or none), so line lengths often hit a small maxLine exactly. */
export const shortLinesArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.constantFrom('\r\n', '\n', '\r', ''), fc.constantFrom('x', 'a1 OK done', '* ', '{3}', 'OK')), {
    maxLength: 8,
  })
  .map((lines) => latin1(lines.map(([n, end, word]) => `${word}${'y'.repeat(n)}`.slice(0, n) + end).join('')));

export const maxLineArb = fc.constantFrom(1, 2, 3, 5, 8, 16, 64, 256);
