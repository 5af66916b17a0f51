// Bundles the CLI into one CommonJS file: one file to load instead of dozens keeps start-up
// close to bare Node, which matters when mailprobe runs in loops and from monitoring.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/mailprobe.cjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  // CommonJS: Node built-ins then load through require(), without building an ES module
  // facade for each (crypto's alone cost ~6 ms at every start).
  format: 'cjs',
  target: 'node20',
  minify: process.argv.includes('--minify'),
  legalComments: 'none',
  define: { MAILPROBE_VERSION: JSON.stringify(pkg.version) },
  // readline-sync runs helper scripts that live beside its own files: it cannot be bundled.
  external: ['readline-sync'],
  logLevel: 'warning',
});
