// The built CLI (npm test builds it first): bin/mailprobe.cjs compiles dist/mailprobe.cjs
// from the code cache written beside it, which must suit this Node or start-up pays for
// compiling the bundle again.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const { BUNDLE, CACHE, compileBundle, runBundle } = createRequire(import.meta.url)('../../bin/mailprobe.cjs') as {
  BUNDLE: string;
  CACHE: string;
  compileBundle(text: string, cachedData?: Buffer): vm.Script;
  runBundle(script: vm.Script): unknown;
};

describe('the bundled CLI', () => {
  it('has a V8 code cache that V8 accepts for the bundle as bin compiles it', () => {
    const script = compileBundle(readFileSync(BUNDLE, 'utf8'), readFileSync(CACHE));
    expect(script.cachedDataRejected).toBe(false);
  });

  it('is ASCII only, so V8 holds it as a one-byte string', () => {
    const bytes = readFileSync(BUNDLE);
    expect(bytes.findIndex((byte) => byte > 0x7f)).toBe(-1);
  });

  it('has a cache made after the common commands ran, not after the top level only', () => {
    // The build runs a session, send, load and sink (scripts/warmCache.mjs) before writing the
    // cache, so the functions they call are in it; a cache of the top level alone is half the size.
    const script = compileBundle(readFileSync(BUNDLE, 'utf8'));
    runBundle(script);
    const topLevelOnly = script.createCachedData().length;
    expect(readFileSync(CACHE).length).toBeGreaterThan(1.5 * topLevelOnly);
  });

  it('rejects a cache made for other text (so a stale cache is harmless)', () => {
    const script = compileBundle(`${readFileSync(BUNDLE, 'utf8')}\n// changed`, readFileSync(CACHE));
    expect(script.cachedDataRejected).toBe(true);
  });
});
