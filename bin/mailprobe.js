#!/usr/bin/env node
import { main, processIo } from '../dist/mailprobe.js';
process.exit(await main(process.argv.slice(2), processIo()));
