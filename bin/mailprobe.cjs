#!/usr/bin/env node
const mailprobe = require('../dist/mailprobe.cjs');
mailprobe.main(process.argv.slice(2), mailprobe.processIo()).then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
