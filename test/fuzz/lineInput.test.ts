// Property-based fuzzing of LineInput, the piped-input reader: any bytes, any chunking,
// any mix of line-by-line reads and content runs must give the same lines as splitting
// the whole input on LF, and a content run must never swallow the final ".".
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PIECE_BYTES, DescriptorInput } from '../../src/session/descriptorInput.js';
import { LineInput, type ContentRun } from '../../src/session/lineInput.js';
import { ContentBatch } from '../../src/session/lineScan.js';
import { budget, bytesArb, cutsArb, latin1, split } from './support.js';

/** What the reader must give: the input split on LF, a CR before each LF dropped. */
function referenceLines(bytes: Buffer): string[] {
  const pieces = bytes.toString('latin1').split('\n');
  const last = pieces.pop() as string;
  if (last !== '') pieces.push(last);
  return pieces.map((line) => line.replace(/\r$/, ''));
}

type Op = { kind: 'line' } | { kind: 'content'; limit: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: 'line' as const }),
  fc.integer({ min: 1, max: 400 }).map((limit) => ({ kind: 'content' as const, limit })),
);

class FakeInput extends EventEmitter {
  paused = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
}

/**
 * A DescriptorInput that reads nothing itself: the test hands it pieces, each in memory of its
 * own, and overwrites each piece given back at once, as the next read into it would.
 */
class HandFedDescriptor extends DescriptorInput {
  readonly givenBack = new Set<Buffer>();
  constructor() {
    super(-1);
  }
  override _read(): void {}
  override giveBack(piece: Buffer): void {
    // Given back twice, its buffer could be read into for two pieces at once.
    expect(this.givenBack.has(piece)).toBe(false);
    this.givenBack.add(piece);
    piece.fill(0xee);
  }
}

/** `piece` copied into memory of its own, as a DescriptorInput reads each piece. */
function ownMemory(piece: Buffer): Buffer {
  const copy = Buffer.from(new ArrayBuffer(piece.length));
  piece.copy(copy);
  return copy;
}

/** Content lines look like message text: biased towards "." lines and both endings. */
const messageArb = fc
  .array(fc.oneof(fc.constantFrom('.', '..', '.\r', ' .', '', 'text', 'x\ry'), fc.string({ maxLength: 12 })), { maxLength: 30 })
  .chain((lines) =>
    fc.tuple(fc.array(fc.constantFrom('\r\n', '\n'), { minLength: lines.length, maxLength: lines.length }), fc.boolean()).map(([endings, lastEnded]) =>
      latin1(lines.map((line, i) => line + (i < lines.length - 1 || lastEnded ? endings[i] : '')).join('')),
    ),
  );

type Run = ContentRun & { release(): void };

/** Content as the session takes it: staged in a batch when a slot is free, else as read. */
function takeRun(input: LineInput, limit: number, ending: '\r\n' | '\n'): Run | undefined {
  const batch = ContentBatch.open();
  if (batch) {
    const lines = input.stageContent(batch, limit, ending);
    if (lines > 0) return { bytes: batch.bytes(), lines, release: () => batch.release() };
    batch.release();
  }
  const run = input.takeContent(limit, ending);
  return run && { ...run, release: () => {} };
}

function drive(bytes: Buffer, sizes: readonly number[], ops: readonly Op[], ending: '\r\n' | '\n', file = false): void {
  const source = file ? new HandFedDescriptor() : new FakeInput();
  const input = new LineInput(source as unknown as Readable, () => {});
  // With a file: every piece's buffer comes back once nothing looks at it, except those
  // whose bytes a run took as they are.
  const pieces = new Set<Buffer>();
  const handedOn = new Set<ArrayBufferLike>();
  const expected = referenceLines(bytes);
  const got: string[] = [];
  // Runs not yet released, with their text when taken: their bytes must not change (their
  // slot is not filled again) until they are released; how many wait varies with the ops.
  const unreleased: { run: Run; text: string }[] = [];
  const keep = ops.length % 5;
  let next = 0;
  const releaseOldest = () => {
    const { run, text } = unreleased.shift() as { run: Run; text: string };
    expect(run.bytes.toString('latin1')).toBe(text);
    run.release();
  };
  const step = (mustProgress: boolean): boolean => {
    const op = ops.length > 0 ? ops[next++ % ops.length] : { kind: 'line' as const };
    if (op.kind === 'content') {
      const run = takeRun(input, op.limit, ending);
      if (run) handedOn.add(run.bytes.buffer);
      if (run) {
        const text = run.bytes.toString('latin1');
        expect(text.endsWith(ending)).toBe(true);
        const lines = text.slice(0, -ending.length).split(ending);
        expect(lines.length).toBe(run.lines);
        expect(lines).not.toContain('.');
        got.push(...lines);
        unreleased.push({ run, text });
        while (unreleased.length > keep) releaseOldest();
        return true;
      }
      // Nothing to run only when the next line is the "." or no whole line waits.
      const head = input.peek();
      if (head !== undefined && head !== '.' && !input.ended) expect(input.hasLine()).toBe(false);
      if (!mustProgress) return false;
    }
    if (!input.hasLine()) return false;
    const peeked = input.peek();
    const line = input.shift();
    expect(line).toBe(peeked);
    got.push(line as string);
    return true;
  };
  for (const piece of split(bytes, sizes)) {
    const chunk = file ? ownMemory(piece) : piece;
    if (chunk.length > 0) pieces.add(chunk);
    source.emit('data', chunk);
    for (let i = 0; i < 3 && step(false); i++);
  }
  source.emit('end');
  while (step(true));
  while (unreleased.length > 0) releaseOldest();
  expect(input.done()).toBe(true);
  expect(got).toEqual(expected);
  if (source instanceof HandFedDescriptor) {
    const owed = [...pieces].filter((piece) => !handedOn.has(piece.buffer));
    expect(owed.filter((piece) => !source.givenBack.has(piece))).toEqual([]);
    expect(source.givenBack.size).toBe(owed.length);
  }
}

describe('LineInput: lines and content runs from piped input', () => {
  it('gives the lines of splitting on LF, however the bytes are cut and read', () => {
    fc.assert(
      fc.property(bytesArb(300), cutsArb, fc.array(opArb, { maxLength: 8 }), fc.constantFrom('\r\n' as const, '\n' as const), (bytes, sizes, ops, ending) =>
        drive(bytes, sizes, ops, ending),
      ),
      budget(),
    );
  });

  it('from a file: gives every buffer back once all it holds is taken, never one still looked at', () => {
    fc.assert(
      fc.property(messageArb, cutsArb, fc.array(opArb, { maxLength: 8 }), fc.constantFrom('\r\n' as const, '\n' as const), (bytes, sizes, ops, ending) =>
        drive(bytes, sizes, ops, ending, true),
      ),
      budget(),
    );
    fc.assert(
      fc.property(bytesArb(300), cutsArb, fc.array(opArb, { maxLength: 8 }), fc.constantFrom('\r\n' as const, '\n' as const), (bytes, sizes, ops, ending) =>
        drive(bytes, sizes, ops, ending, true),
      ),
      budget(),
    );
  });

  it('from a file: pauses it with two pieces waiting, not megabytes', () => {
    const source = new HandFedDescriptor();
    const input = new LineInput(source, () => {});
    const piece = latin1(`${'x'.repeat(1022)}\r\n`.repeat(PIECE_BYTES / 1024));
    source.emit('data', ownMemory(piece));
    source.emit('data', ownMemory(piece));
    expect(source.isPaused()).toBe(false);
    source.emit('data', ownMemory(piece));
    expect(source.isPaused()).toBe(true);
    // A piece is two batches: staged in both, its buffer comes back.
    for (const expected of [0, 1]) {
      const batch = ContentBatch.open() as ContentBatch;
      expect(input.stageContent(batch, 1 << 20, '\r\n')).toBe(PIECE_BYTES / 1024 / 2);
      batch.release();
      expect(source.givenBack.size).toBe(expected);
    }
  });

  it('stops content runs at a line holding only "." in message-like input', () => {
    fc.assert(
      fc.property(messageArb, cutsArb, fc.array(opArb, { maxLength: 8 }), fc.constantFrom('\r\n' as const, '\n' as const), (bytes, sizes, ops, ending) =>
        drive(bytes, sizes, ops, ending),
      ),
      budget(),
    );
  });

  it('stages the content of many reads as one batch, in a slot not reused until released', () => {
    const source = new FakeInput();
    const input = new LineInput(source as unknown as Readable, () => {});
    for (const piece of ['one\r\n', 'tw', 'o\r\nthree\r\n', '.\r\nQUIT\r\n']) source.emit('data', latin1(piece));
    const first = ContentBatch.open() as ContentBatch;
    expect(input.stageContent(first, 1 << 20, '\r\n')).toBe(3);
    expect(first.bytes().toString('latin1')).toBe('one\r\ntwo\r\nthree\r\n');
    expect(input.stageContent(first, 1 << 20, '\r\n')).toBe(0);
    expect(input.shift()).toBe('.');
    expect(input.shift()).toBe('QUIT');
    // Three batches fill the three slots; a fourth waits until one is released, and then
    // takes that slot without touching the others.
    const second = ContentBatch.open() as ContentBatch;
    const third = ContentBatch.open() as ContentBatch;
    for (const [batch, text] of [[second, 'four\r\n'], [third, 'five\r\n']] as const) {
      source.emit('data', latin1(text));
      input.stageContent(batch, 1 << 20, '\r\n');
    }
    expect(ContentBatch.open()).toBeUndefined();
    const secondAt = second.bytes().byteOffset;
    second.release();
    const fourth = ContentBatch.open() as ContentBatch;
    source.emit('data', latin1('six\n'));
    expect(input.stageContent(fourth, 1 << 20, '\r\n')).toBe(1);
    expect(fourth.bytes().byteOffset).toBe(secondAt);
    expect(fourth.bytes().toString('latin1')).toBe('six\r\n');
    expect([first, third].map((each) => each.bytes().toString('latin1'))).toEqual(['one\r\ntwo\r\nthree\r\n', 'five\r\n']);
    for (const each of [first, third, fourth]) each.release();
  });

  it('takes a line longer than a batch as read, with its ending changed when asked', () => {
    const source = new FakeInput();
    const input = new LineInput(source as unknown as Readable, () => {});
    const long = latin1(`${'z'.repeat((1 << 20) + 10)}\n`);
    source.emit('data', long);
    source.emit('data', latin1('.\r\n'));
    const batch = ContentBatch.open() as ContentBatch;
    expect(input.stageContent(batch, 1 << 20, '\n')).toBe(0);
    batch.release();
    const run = input.takeContent(1 << 20, '\n') as ContentRun;
    expect(run.lines).toBe(1);
    expect(run.bytes.buffer === long.buffer).toBe(true); // as read: a 1 MB ArrayBuffer is not for printing
    expect(input.takeContent(1 << 20, '\r\n')).toBeUndefined();
    expect(input.shift()).toBe('.');
  });

  it('re-ends bare-LF lines as CRLF (and CRLF lines as LF under --lf)', () => {
    const source = new FakeInput();
    const input = new LineInput(source as unknown as Readable, () => {});
    source.emit('data', latin1('a\nb\r\nc\n'));
    expect(input.takeContent(1 << 20, '\r\n')?.bytes.toString('latin1')).toBe('a\r\nb\r\nc\r\n');
    source.emit('data', latin1('d\r\ne\n'));
    expect(input.takeContent(1 << 20, '\n')?.bytes.toString('latin1')).toBe('d\ne\n');
  });

  it('pauses its source while megabytes wait, and resumes once they are taken', () => {
    const source = new FakeInput();
    const input = new LineInput(source as unknown as Readable, () => {});
    const block = latin1('x'.repeat(1022) + '\r\n');
    for (let i = 0; i < 9 * 1024; i++) source.emit('data', block);
    expect(source.paused).toBe(true);
    let taken = 0;
    while (source.paused) taken += input.takeContent(1 << 20, '\r\n')?.lines ?? 0;
    expect(taken).toBeGreaterThan(4 * 1024);
    expect(taken).toBeLessThan(9 * 1024);
  });
});
