#!/usr/bin/env node
import { main, processIo } from '../dist/cli/main.js';
process.exit(await main(process.argv.slice(2), processIo()));
