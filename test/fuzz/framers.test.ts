// Property-based fuzzing of every Framer (SMTP, LMTP, IMAP, POP3, ManageSieve, IRC, NNTP, FTP) on random
// and mutated conversations: no exception, nothing lost, bounded buffers, and the same
// lines whatever the chunking.
//
// Default budget: FUZZ_RUNS=200 cases per property. A long run:
//     FUZZ_RUNS=20000 npx vitest run test/fuzz
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budget, cutsArb, RUNS, latin1, longRunArb, maxLineArb, reassemble, runFramer, type Step } from './support.js';
import { conversationArb, FRAMER_KINDS, mutatedSeedArb } from './transcripts.js';

const chunkingArb = fc.array(cutsArb, { minLength: 1, maxLength: 4 });

/**
 * Known counterexamples for the small-maxLine chunking property, tried first so the known
 * LineSplitter literal bug fails every run rather than one run in ten: a literal line of
 * 7 bytes + CRLF with maxLine 8, the chunk boundary between its CR and LF.
 */
const CHUNKING_EXAMPLES: Record<string, Array<[Step[], number[][], number]>> = {
  IMAP: [[[{ recv: latin1('* OK hi\r\n') }, { sent: 'a1 FETCH 1 BODY[]' }, { recv: latin1('* 1 FETCH {11}\r\nabcdefg\r\nXY)\r\na1 OK\r\n') }], [[], [24]], 8]],
  Sieve: [[[{ recv: latin1('OK\r\n') }, { sent: 'GETSCRIPT "a"' }, { recv: latin1('{11}\r\nabcdefg\r\nXY\r\nOK\r\n') }], [[], [14]], 8]],
};

describe.each(FRAMER_KINDS)('$name framer (fuzz)', (kind) => {
  it('never throws, loses nothing and invents nothing: lines + endings + drain() = bytes received', () => {
    fc.assert(
      fc.property(conversationArb(kind), chunkingArb, fc.option(maxLineArb, { nil: undefined }), fc.array(fc.boolean()), (steps, cuts, maxLine, partials) => {
        const run = runFramer(kind.make(maxLine), steps, { cuts, maxLine, partials });
        expect(Buffer.concat([reassemble(run.lines), run.drained]).equals(run.received)).toBe(true);
      }),
      budget(),
    );
  });

  it('keeps pendingBytes() and every line within maxLine: endless lines, huge literals, mutated transcripts', () => {
    const hostile = fc.oneof(
      conversationArb(kind),
      fc.array(longRunArb.map((recv): Step => ({ recv })), { minLength: 1, maxLength: 4 }),
      longRunArb.map((run): Step[] => [{ sent: kind.commands[0]! }, { recv: Buffer.concat([latin1('* 1 FETCH (BODY[] {999999999999}\r\n'), run, run]) }]),
    );
    fc.assert(
      fc.property(hostile, chunkingArb, maxLineArb, (steps, cuts, maxLine) => {
        // runFramer throws when pendingBytes() or a line goes over maxLine after any push.
        runFramer(kind.make(maxLine), steps, { cuts, maxLine });
      }),
      budget(),
    );
  });

  it('gives the same lines, sent() results and pendingBytes() in one chunk or any chunking (default maxLine)', () => {
    fc.assert(
      fc.property(conversationArb(kind), chunkingArb, (steps, cuts) => {
        const whole = runFramer(kind.make(), steps);
        const chunked = runFramer(kind.make(), steps, { cuts });
        expect(chunked.events).toEqual(whole.events);
        expect(chunked.pendingAtEnd).toBe(whole.pendingAtEnd);
      }),
      budget(),
    );
  });

  // IMAP and ManageSieve fail this at the time of writing: the LineSplitter literal cut
  // (see lineSplitter.test.ts) makes pieces depend on chunk boundaries; CHUNKING_EXAMPLES.
  it('gives the same lines, sent() results and pendingBytes() in one chunk or any chunking (small maxLine)', () => {
    fc.assert(
      fc.property(mutatedSeedArb(kind), chunkingArb, maxLineArb, (steps, cuts, maxLine) => {
        const whole = runFramer(kind.make(maxLine), steps, { maxLine });
        const chunked = runFramer(kind.make(maxLine), steps, { cuts, maxLine });
        expect(chunked.events).toEqual(whole.events);
        expect(chunked.pendingAtEnd).toBe(whole.pendingAtEnd);
      }),
      budget<[Step[], number[][], number]>({ examples: CHUNKING_EXAMPLES[kind.name] ?? [] }),
    );
  });

  it('gives the same lines fed byte by byte (default maxLine)', () => {
    fc.assert(
      fc.property(mutatedSeedArb(kind), (steps) => {
        const whole = runFramer(kind.make(), steps);
        const bytewise = runFramer(kind.make(), steps, { cuts: [Array.from({ length: 5000 }, () => 1)] });
        expect(bytewise.events).toEqual(whole.events);
      }),
      // Byte-by-byte runs are slower; a quarter of the budget is plenty.
      budget({ numRuns: Math.max(10, Math.ceil(RUNS / 4)) }),
    );
  });
});
