// Bundles the CLI into one CommonJS file: one file to load instead of dozens keeps start-up
// close to bare Node, which matters when mailprobe runs in loops and from monitoring. Then
// writes V8's code cache for it (dist/mailprobe.cjs.cache), which bin/mailprobe.cjs uses to
// skip compiling the bundle at every start.
import { readFileSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outfile = new URL('../dist/mailprobe.cjs', import.meta.url).pathname;

await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  // CommonJS: Node built-ins then load through require(), without building an ES module
  // facade for each (crypto's alone cost ~6 ms at every start).
  format: 'cjs',
  target: 'node20',
  minify: process.argv.includes('--minify'),
  legalComments: 'none',
  define: { MAILPROBE_VERSION: JSON.stringify(pkg.version), 'import.meta.url': 'mailprobeBundleUrl' },
  banner: { js: 'var mailprobeBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  // readline-sync runs helper scripts that live beside its own files: it cannot be bundled.
  external: ['readline-sync'],
  logLevel: 'warning',
});

// The cache must be made from exactly the text bin/mailprobe.cjs compiles: the bundle in
// Node's module wrapper. Running the bundle's top level first puts the functions it
// compiles on the way into the cache too.
const script = new vm.Script(Module.wrap(readFileSync(outfile, 'utf8')), { filename: outfile });
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(outfile), module, outfile, dirname(outfile));
writeFileSync(`${outfile}.cache`, script.createCachedData());
