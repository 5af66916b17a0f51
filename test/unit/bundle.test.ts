// The built CLI (npm test builds it first): bin/mailprobe.cjs compiles dist/mailprobe.cjs
// from the code cache written beside it, which must suit this Node or start-up pays for
// compiling the bundle again.
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const bundle = fileURLToPath(new URL('../../dist/mailprobe.cjs', import.meta.url));

describe('the bundled CLI', () => {
  it('has a V8 code cache that V8 accepts for the bundle as bin compiles it', () => {
    const cachedData = readFileSync(`${bundle}.cache`);
    const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
    expect(script.cachedDataRejected).toBe(false);
  });

  it('rejects a cache made for other text (so a stale cache is harmless)', () => {
    const cachedData = readFileSync(`${bundle}.cache`);
    const script = new vm.Script(Module.wrap(`${readFileSync(bundle, 'utf8')}\n// changed`), { filename: bundle, cachedData });
    expect(script.cachedDataRejected).toBe(true);
  });
});
