// Property-based fuzzing of LineInput, the piped-input reader: any bytes, any chunking,
// any mix of line-by-line reads and content runs must give the same lines as splitting
// the whole input on LF, and a content run must never swallow the final ".".
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineInput } from '../../src/session/lineInput.js';
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

/** Content lines look like message text: biased towards "." lines and both endings. */
const messageArb = fc
  .array(fc.oneof(fc.constantFrom('.', '..', '.\r', ' .', '', 'text', 'x\ry'), fc.string({ maxLength: 12 })), { maxLength: 30 })
  .chain((lines) =>
    fc.tuple(fc.array(fc.constantFrom('\r\n', '\n'), { minLength: lines.length, maxLength: lines.length }), fc.boolean()).map(([endings, lastEnded]) =>
      latin1(lines.map((line, i) => line + (i < lines.length - 1 || lastEnded ? endings[i] : '')).join('')),
    ),
  );

function drive(bytes: Buffer, sizes: readonly number[], ops: readonly Op[], ending: '\r\n' | '\n'): void {
  const source = new FakeInput();
  const input = new LineInput(source as unknown as Readable, () => {});
  const expected = referenceLines(bytes);
  const got: string[] = [];
  let next = 0;
  const step = (mustProgress: boolean): boolean => {
    const op = ops.length > 0 ? ops[next++ % ops.length] : { kind: 'line' as const };
    if (op.kind === 'content') {
      const run = input.takeContent(op.limit, ending);
      if (run) {
        const text = run.bytes.toString('latin1');
        expect(text.endsWith(ending)).toBe(true);
        const lines = text.slice(0, -ending.length).split(ending);
        expect(lines.length).toBe(run.lines);
        expect(lines).not.toContain('.');
        got.push(...lines);
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
  for (const chunk of split(bytes, sizes)) {
    source.emit('data', chunk);
    for (let i = 0; i < 3 && step(false); i++);
  }
  source.emit('end');
  while (step(true));
  expect(input.done()).toBe(true);
  expect(got).toEqual(expected);
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

  it('stops content runs at a line holding only "." in message-like input', () => {
    fc.assert(
      fc.property(messageArb, cutsArb, fc.array(opArb, { maxLength: 8 }), fc.constantFrom('\r\n' as const, '\n' as const), (bytes, sizes, ops, ending) =>
        drive(bytes, sizes, ops, ending),
      ),
      budget(),
    );
  });

  it('passes content through without a copy when its line endings already match', () => {
    const source = new FakeInput();
    const input = new LineInput(source as unknown as Readable, () => {});
    const chunk = latin1('one\r\ntwo\r\n.\r\nQUIT\r\n');
    source.emit('data', chunk);
    const run = input.takeContent(1 << 20, '\r\n');
    expect(run?.lines).toBe(2);
    expect(run?.bytes.toString('latin1')).toBe('one\r\ntwo\r\n');
    expect(run?.bytes.buffer).toBe(chunk.buffer);
    expect(input.takeContent(1 << 20, '\r\n')).toBeUndefined();
    expect(input.shift()).toBe('.');
    expect(input.shift()).toBe('QUIT');
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
