// The built CLI (npm test builds it first): bin/mailprobe.cjs compiles dist/mailprobe.cjs
// from the code cache written beside it, which must suit this Node or start-up pays for
// compiling the bundle again.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const { BUNDLE, CACHE, compileBundle } = createRequire(import.meta.url)('../../bin/mailprobe.cjs') as {
  BUNDLE: string;
  CACHE: string;
  compileBundle(text: string, cachedData?: Buffer): vm.Script;
};

describe('the bundled CLI', () => {
  it('has a V8 code cache that V8 accepts for the bundle as bin compiles it', () => {
    const script = compileBundle(readFileSync(BUNDLE, 'utf8'), readFileSync(CACHE));
    expect(script.cachedDataRejected).toBe(false);
  });

  it('rejects a cache made for other text (so a stale cache is harmless)', () => {
    const script = compileBundle(`${readFileSync(BUNDLE, 'utf8')}\n// changed`, readFileSync(CACHE));
    expect(script.cachedDataRejected).toBe(true);
  });
});
