// Property-based fuzzing of the XMPP framer: generated streams (headers, stanzas nested a
// few levels deep, attribute values and text with multi-byte UTF-8 and characters that
// matter to XML, whitespace keepalives) split at every position give the same units; the
// bytes of the lines are the stanzas as received; hostile bytes never throw and never grow
// what is held past its bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PIECE_BYTES, XmppFramer } from '../../src/protocols/xmpp/framer.js';
import { MAX_TAG_BYTES } from '../../src/protocols/xmpp/tokenizer.js';
import type { ServerLine } from '../../src/protocols/types.js';
import { budget, bytesArb } from './support.js';

const HEADER_OUT = "<stream:stream to='x' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const HEADER_IN = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'>";

const nameArb = fc.constantFrom('iq', 'message', 'presence', 'body', 'query', 'item', 'x', 'stream:features', 'proceed', 'failure', 'mechanism', 'db:result');
/** Text and attribute values: ASCII, multi-byte characters, '>' and quotes (legal where they are). */
const charsArb = fc.array(fc.constantFrom('a', 'Z', ' ', '\n', '>', 'é', '😀', '中', '&amp;', '/', '='), { maxLength: 12 }).map((parts) => parts.join(''));
const attributesArb = fc
  .array(fc.tuple(fc.constantFrom('id', 'type', 'to', 'xmlns', 'xml:lang'), charsArb, fc.boolean()), { maxLength: 3 })
  .map((list) => list.map(([name, value, double]) => (double ? ` ${name}="${value.replace(/"/g, '')}"` : ` ${name}='${value.replace(/'/g, '')}'`)).join(''));

const elementArb: fc.Arbitrary<string> = fc.letrec((tie) => ({
  element: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(nameArb, attributesArb).map(([name, attributes]) => `<${name}${attributes}/>`),
    fc.tuple(nameArb, attributesArb, charsArb).map(([name, attributes, text]) => `<${name}${attributes}>${text.replace(/</g, '')}</${name}>`),
    fc
      .tuple(nameArb, attributesArb, fc.array(tie('element') as fc.Arbitrary<string>, { maxLength: 3 }), fc.constantFrom('', '\n  ', ' '))
      .map(([name, attributes, children, space]) => `<${name}${attributes}>${children.map((c) => space + c).join('')}${space}</${name}>`),
  ),
})).element;

/** A server's side of a stream: the header, then stanzas with keepalives between them. */
const streamArb = fc.record({
  stanzas: fc.array(elementArb, { minLength: 1, maxLength: 5 }),
  keepalives: fc.array(fc.constantFrom('', ' ', '\n', '\r\n', ' \t '), { minLength: 5, maxLength: 5 }),
  closes: fc.boolean(),
});

function render(stream: { stanzas: string[]; keepalives: string[]; closes: boolean }): { wire: Buffer; units: Buffer } {
  const parts = stream.stanzas.map((stanza, i) => ({ stanza, gap: stream.keepalives[i] ?? '' }));
  const end = stream.closes ? '</stream:stream>' : '';
  const wire = HEADER_IN + parts.map((p) => p.gap + p.stanza).join('') + end;
  const units = HEADER_IN + parts.map((p) => p.stanza).join('') + end;
  return { wire: Buffer.from(wire), units: Buffer.from(units) };
}

/** Feeds `bytes` cut at `cuts` (positions), collecting every line. */
function run(bytes: Buffer, cuts: number[]): { lines: ServerLine[]; framer: XmppFramer } {
  const framer = new XmppFramer();
  framer.sent(HEADER_OUT);
  const lines: ServerLine[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length)) {
    lines.push(...framer.push(bytes.subarray(at, cut)));
    at = cut;
  }
  return { lines, framer };
}

const view = (lines: ServerLine[]) => lines.map((line) => ({ shown: line.shown, final: line.final, tone: line.tone, bytes: line.bytes.toString('hex') }));

describe('XMPP framer (fuzz)', () => {
  it('a stream split anywhere gives the same lines as whole, and never a malformed one', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 12 }), (stream, cuts) => {
        const { wire } = render(stream);
        const whole = run(wire, []);
        const split = run(wire, cuts);
        expect(view(split.lines)).toEqual(view(whole.lines));
        expect(whole.lines.some((line) => line.tone === 'malformed')).toBe(false);
      }),
      budget(),
    );
  });

  it('fed one byte at a time, the same lines (multi-byte characters and tags split at every byte)', () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const { wire } = render(stream);
        expect(view(run(wire, Array.from({ length: wire.length }, (_, i) => i)).lines)).toEqual(view(run(wire, []).lines));
      }),
      budget({ numRuns: Math.max(20, Math.floor(budget().numRuns! / 4)) }),
    );
  });

  it('the lines\' bytes are the stream as received less the keepalives; nothing is left pending', () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const { wire, units } = render(stream);
        const { lines, framer } = run(wire, []);
        expect(Buffer.concat(lines.map((line) => line.bytes)).equals(units)).toBe(true);
        expect(framer.pendingBytes()).toBe(0);
        // One final line: the first stanza answers the header; the rest come unasked.
        expect(lines.filter((line) => line.final).length).toBeLessThanOrEqual(stream.closes ? 2 : 1);
      }),
      budget(),
    );
  });

  it('hostile bytes never throw, and what is held stays bounded', () => {
    const hostile = fc.oneof(
      bytesArb(400),
      fc.tuple(streamArb, bytesArb(40), fc.nat()).map(([stream, junk, at]) => {
        const { wire } = render(stream);
        const cut = at % (wire.length + 1);
        return Buffer.concat([wire.subarray(0, cut), junk, wire.subarray(cut)]);
      }),
      fc.integer({ min: 1, max: 300_000 }).map((n) => Buffer.concat([Buffer.from(HEADER_IN + "<message><body a='"), Buffer.alloc(n, 0x41)])),
      fc.integer({ min: 1, max: 300_000 }).map((n) => Buffer.concat([Buffer.from(HEADER_IN + '<message><body>'), Buffer.alloc(n, 0x41)])),
    );
    fc.assert(
      fc.property(hostile, fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const framer = new XmppFramer();
        framer.sent(HEADER_OUT);
        let at = 0;
        for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b).concat(bytes.length)) {
          const lines = framer.push(bytes.subarray(at, cut));
          for (const line of lines) expect(line.bytes.length).toBeLessThanOrEqual(MAX_PIECE_BYTES + MAX_TAG_BYTES);
          // What is held: one unfinished tag or line (plus the chunk just fed), one line's bytes.
          expect(framer.pendingBytes()).toBeLessThanOrEqual(MAX_PIECE_BYTES + MAX_TAG_BYTES + (cut - at));
          at = cut;
        }
      }),
      budget({ numRuns: Math.max(50, Math.floor(budget().numRuns! / 2)) }),
    );
  });
});
