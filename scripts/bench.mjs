// Runs bench/run.ts: esbuild bundles it with the test harness it shares (real Postfix
// set-up, certificates) into a temporary module, which is then imported.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'mailprobe-bench-'));
const outfile = join(dir, 'bench.mjs');
await build({
  entryPoints: [new URL('../bench/run.ts', import.meta.url).pathname],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': JSON.stringify(new URL('../bench/run.ts', import.meta.url).href) },
  logLevel: 'warning',
});
try {
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
