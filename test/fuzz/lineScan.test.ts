// The SIMD content scanner (src/session/lineScan.ts, lineScan.wat) against a line-by-line
// reference: any lines, any mix of endings, regions of any size one after another in the
// same memory (a short region after a long one must not see the long one's bytes).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDotLine, scanContent, MAX_SCAN_BYTES, type ContentScan } from '../../src/session/lineScan.js';
import { LINE_SCAN_WASM } from '../../src/session/lineScanWasm.js';
import { lineScanWasm } from '../../scripts/wasm.mjs';
import { budget, latin1 } from './support.js';

/** What scanContent must say, found one line at a time. */
function reference(region: Buffer, crlf: boolean): ContentScan {
  let lines = 0;
  let convert = false;
  let at = 0;
  while (at < region.length) {
    if (at > 0 && isDotLine(region, at)) break;
    const lf = region.indexOf(0x0a, at);
    if ((lf > at && region[lf - 1] === 0x0d) !== crlf) convert = true;
    lines++;
    at = lf + 1;
  }
  return { end: at, lines, convert };
}

/** Whole lines of message-like text, ending with an LF, not starting with the final ".". */
const regionArb = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('.', '..', '.\r', ' .', '', 'x', '\r', '.x'), fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ''))),
      fc.constantFrom('\r\n', '\n', '\r\r\n'),
    ),
    { minLength: 1, maxLength: 120 },
  )
  .map((lines) => latin1(lines.map(([text, ending]) => text + ending).join('')))
  .filter((region) => !isDotLine(region, 0));

describe('scanContent: the final ".", line count and endings, 16 bytes at a time', () => {
  it('matches a line-by-line reading, for both endings, with regions reusing the memory', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(regionArb, fc.boolean()), { minLength: 1, maxLength: 4 }), async (regions) => {
        for (const [region, crlf] of regions) expect(scanContent(region, crlf)).toEqual(reference(region, crlf));
      }),
      budget(),
    );
  });

  it('reads a whole region of the largest size, stopping at a final "." near its end', () => {
    const line = latin1(`${'y'.repeat(70)}\r\n`);
    const region = Buffer.alloc(MAX_SCAN_BYTES - (MAX_SCAN_BYTES % line.length));
    for (let at = 0; at < region.length; at += line.length) line.copy(region, at);
    const lines = region.length / line.length;
    expect(scanContent(region, true)).toEqual({ end: region.length, lines, convert: false });
    expect(scanContent(region, false)).toEqual({ end: region.length, lines, convert: true });
    latin1('.\r\n').copy(region, region.length - 2 * line.length);
    expect(scanContent(region, true)).toEqual({ end: region.length - 2 * line.length, lines: lines - 2, convert: false });
  });

  it('runs the WebAssembly that lineScan.wat builds into (npm run wasm)', async () => {
    expect((await lineScanWasm()).toString('base64')).toBe(LINE_SCAN_WASM);
  });
});
