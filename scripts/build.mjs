// Bundles the CLI into one ES module: one file to load instead of dozens keeps start-up
// close to bare Node, which matters when mailprobe runs in loops and from monitoring.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/mailprobe.js', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: process.argv.includes('--minify'),
  legalComments: 'none',
  define: { MAILPROBE_VERSION: JSON.stringify(pkg.version) },
  // commander is CommonJS and requires Node built-ins: give the bundle a require().
  banner: { js: "import { createRequire as __mailprobeRequire } from 'node:module'; const require = __mailprobeRequire(import.meta.url);" },
  // readline-sync runs helper scripts that live beside its own files: it cannot be bundled.
  external: ['readline-sync'],
  logLevel: 'warning',
});
