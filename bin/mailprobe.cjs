#!/usr/bin/env node
// Runs the bundled CLI, from V8's code cache when the one beside it suits this Node (else
// V8 compiles as usual): compiling the bundle would be ~10 ms of every start.
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

const dist = join(__dirname, '..', 'dist');
const file = join(dist, 'mailprobe.cjs');
let cachedData;
try {
  cachedData = readFileSync(`${file}.cache`);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
const mailprobe = { exports: {} };
script.runInThisContext()(mailprobe.exports, Module.createRequire(file), mailprobe, file, dist);
const { main, processIo } = mailprobe.exports;
main(process.argv.slice(2), processIo()).then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
