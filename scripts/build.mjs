// Bundles the CLI into one CommonJS file: one file to load instead of dozens keeps start-up
// close to bare Node, which matters when mailprobe runs in loops and from monitoring. Then
// writes V8's code cache for it (dist/mailprobe.cjs.cache), which bin/mailprobe.cjs uses to
// skip compiling the bundle at every start.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { lazyBuiltins } from './lazyBuiltins.mjs';
import { warmUp } from './warmCache.mjs';

const { BUNDLE, CACHE, compileBundle, runBundle } = createRequire(import.meta.url)('../bin/mailprobe.cjs');

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  // CommonJS: Node built-ins then load through require(), without building an ES module
  // facade for each (crypto's alone cost ~6 ms at every start).
  format: 'cjs',
  target: 'node20',
  // Without comments and spaces, and in ASCII only: the text bin reads at every start is
  // 30% smaller, and pure ASCII decodes into V8's one-byte strings (a single non-ASCII
  // character makes all 800 KB two-byte). Names are kept, for errors and profiles.
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  // import.meta.url, made when first read: only the lazy requires of packages read it, and
  // pathToFileURL is ~0.5 ms of a start.
  define: { MAILPROBE_VERSION: JSON.stringify(pkg.version), 'import.meta.url': 'mailprobeBundle.url' },
  banner: { js: 'var mailprobeBundle = { get url() { return require("node:url").pathToFileURL(__filename).href; } };' },
  logLevel: 'warning',
  // The ASN.1 schemas (OCSP responses, certificate extensions) and the DNS packet codec are
  // required from node_modules when a flag or command needs them, not compiled into every
  // start: the schemas would add ~430 KB to the bundle and ~8 ms to each run, the codec
  // ~35 KB and its record-type tables.
  external: ['@peculiar/*', 'dns-packet'],
  plugins: [lazyBuiltins],
});

// Running the bundle's top level, then its common commands (scripts/warmCache.mjs), before
// making the cache puts the functions they compile into the cache too.
const script = compileBundle(readFileSync(BUNDLE, 'latin1'));
await warmUp(runBundle(script));
writeFileSync(CACHE, script.createCachedData());
// A warm-up that gave up (its time limit) may leave a socket or timer behind: the build is done.
process.exit(0);
