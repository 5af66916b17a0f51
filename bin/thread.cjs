// A thread of `load --workers N`: the same bundle as the command, from the same code cache,
// running the part of the run its workerData says. A file of its own so that the command
// itself never loads node:worker_threads (~1.5 ms of every start).
const { parentPort, workerData } = require('node:worker_threads');
const { loadCli } = require('./mailprobe.cjs');

loadCli().threadMain(workerData, parentPort);
