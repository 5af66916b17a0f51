// Runs the bundle's common paths once in the build, so the V8 code cache written after it
// holds their compiled functions too, not only the bundle's top level. Without it every start
// compiles, lazily and again, each function a run calls: argument parsing, the connection,
// STARTTLS, the certificate report, load's and sink's dialogues (~15 ms of a STARTTLS
// session). The runs talk to an in-process `mailprobe sink` on a free loopback port, with
// their output kept in memory and dropped.
import { PassThrough } from 'node:stream';

/** How long the whole warm-up may take before the build gives up on it. */
const LIMIT_MS = 30_000;

/** A MainIo whose output is kept (its last 4 KB) only to be shown if the run fails; `input` is standard input (piped, then ended). */
function quietIo(input = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  const keep = (chunk) => (text = (text + chunk.toString()).slice(-4096));
  stdout.on('data', keep);
  stderr.on('data', keep);
  const stdin = new PassThrough();
  stdin.end(input);
  let interrupt;
  const io = {
    stdin,
    stdout,
    stderr,
    env: { ...process.env, NO_COLOR: '1' },
    onInterrupt(handler) {
      interrupt = handler;
      return () => (interrupt = undefined);
    },
  };
  return { io, output: () => text, interrupt: () => interrupt?.() };
}

/** The port of the sink, from its first line "listening on HOST:PORT (...)". */
async function sinkPort(output) {
  for (let waited = 0; waited < 5000; waited += 20) {
    const match = /listening on [^\s]*:(\d+) /.exec(output());
    if (match) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the warm-up sink did not start listening');
}

/** Each command line run against the sink, with its standard input. */
function runs(port) {
  const target = `127.0.0.1:${port}`;
  const message = ['EHLO warm.test', 'MAIL FROM:<a@warm.test>', 'RCPT TO:<b@warm.test>', 'DATA', 'Subject: warm-up', '', 'body', '.', 'QUIT', ''].join('\n');
  return [
    [['-connect', target, '-starttls', 'smtp', '-name', 'warm.test'], message],
    [['-connect', target, '-starttls', 'smtp', '-quiet', '-crlf'], 'EHLO warm.test\nQUIT\n'],
    [['send', '--to', 'b@warm.test', '--from', 'a@warm.test', '--server', target, '--tls', '--ehlo', 'warm.test'], ''],
    // DATA, as against servers without CHUNKING (Postfix's smtp-sink), and BDAT below.
    [['load', target, '-plain', '-c', '2', '-n', '200', '--size', '4k', '--no-bdat', '--from', 'a@warm.test', '--to', 'b@warm.test'], ''],
    [['load', target, '-plain', '-c', '2', '-n', '40', '--per-conn', '1', '--no-pipelining', '--no-bdat', '--from', 'a@warm.test', '--to', 'b@warm.test'], ''],
    [['load', target, '-starttls', 'smtp', '-c', '2', '-n', '20', '--from', 'a@warm.test', '--to', 'b@warm.test'], ''],
  ];
}

async function warm(cli) {
  const sink = quietIo();
  const sinkDone = cli.main(['sink', '--listen', '127.0.0.1:0', '--tls-self-signed'], sink.io);
  try {
    const port = await sinkPort(sink.output);
    for (const [args, input] of runs(port)) {
      const run = quietIo(input);
      const code = await cli.main(args, run.io);
      // A run that failed left its paths out of the cache: worth a word, not a failed build.
      if (code !== 0) process.stderr.write(`build: warm-up \`mailprobe ${args.join(' ')}\` exited ${code}:\n${run.output().slice(-600)}\n`);
    }
  } finally {
    sink.interrupt();
    await sinkDone;
  }
}

/** Runs the warm-up on the CLI's exports; says on stderr (and goes on) if it could not. */
export async function warmUp(cli) {
  let timer;
  const limit = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not done in ${LIMIT_MS / 1000} s`)), LIMIT_MS)));
  try {
    await Promise.race([warm(cli), limit]);
  } catch (error) {
    process.stderr.write(`build: the code cache holds the top level only (warm-up failed: ${error.message})\n`);
  } finally {
    clearTimeout(timer);
  }
}
