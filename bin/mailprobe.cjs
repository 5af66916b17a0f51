#!/usr/bin/env node
// Runs the bundled CLI, from V8's code cache when the one beside it suits this Node (else
// V8 compiles as usual): compiling the bundle would be ~10 ms of every start. The build
// (scripts/build.mjs) writes the cache with compileBundle below: cache and use must compile
// exactly the same text, so there is one function for both.
const { readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const BUNDLE = join(__dirname, '..', 'dist', 'mailprobe.cjs');
const CACHE = `${BUNDLE}.cache`;

/**
 * The bundle's text in a CommonJS module's wrapper, compiled (with V8's cache when given).
 * The wrapper is Node's own, written out: node:module is ~0.7 ms of a start to load.
 */
function compileBundle(text, cachedData) {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${text}\n});`, { filename: BUNDLE, cachedData });
}

/**
 * Runs the compiled bundle's top level; returns its exports. Its require is this file's: the
 * bundle requires only built-ins and packages, which resolve the same from bin/ as from dist/.
 */
function runBundle(script) {
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, BUNDLE, dirname(BUNDLE));
  return module.exports;
}

/** The CLI's exports, from the bundle and its code cache. */
function loadCli() {
  let cachedData;
  try {
    cachedData = readFileSync(CACHE);
  } catch {
    cachedData = undefined;
  }
  // The bundle is ASCII (test/unit/bundle.test.ts): read as latin1, the same text ~1.5 ms
  // sooner than through the UTF-8 decoder.
  return runBundle(compileBundle(readFileSync(BUNDLE, 'latin1'), cachedData));
}

if (require.main === module) {
  const cli = loadCli();
  // Threads of `load --workers N` start from thread.cjs beside this file.
  cli.main(process.argv.slice(2), cli.processIo({ command: __filename, thread: join(__dirname, 'thread.cjs') })).then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
} else {
  module.exports = { BUNDLE, CACHE, compileBundle, runBundle, loadCli };
}
