// main(argv, io) → exit code. Nothing below bin/ calls process.exit.
import { fstatSync } from 'node:fs';
import { DescriptorInput } from '../session/descriptorInput.js';
import type { Readable } from 'node:stream';
import { EXIT_CODES, MailprobeError, messageOf, usageError } from '../errors.js';
import { runFirstAnswering, runSession } from '../session/run.js';
import { mxTargets } from '../session/mx.js';
import { srvTargets } from '../client/srv.js';
import { StubResolver } from '../dns/stub.js';
import { nameservers } from '../dns/servers.js';
import { Printer } from '../terminal/printer.js';
import { colourLevel, palette } from '../terminal/style.js';
import { Transcript } from '../terminal/transcript.js';
import { SESSION_FLAGS } from './flags.js';
import { certCommand, checkCommand } from './check.js';
import { demoCommand } from './demo.js';
import type { MessagePort } from 'node:worker_threads';
import type { LoadThreadData } from '../load/threads.js';
import { loadCommand, loadThreadMain } from './load.js';
import { sinkCommand } from './sink.js';
import { sendCommand } from './send.js';
import { helpText } from './help.js';
import { editDistance, normaliseArgv } from './normalise.js';
import { parseSessionArgs } from './program.js';
import { resolveSession, type SessionFlags } from './resolve.js';
import type { MainIo } from './io.js';
import type { ParentChannel } from '../sink/workers.js';

export type { MainIo } from './io.js';


/**
 * Standard input. A regular file (`mailprobe ... < message.eml`), a pipe (`cat message.eml
 * | mailprobe ...`) or a socket is read by a DescriptorInput, into buffers used again (see there);
 * a file in 1 MB pieces rather than Node's 64 KB, each read being a trip to the thread pool.
 */
function standardInput(): Readable & { isTTY?: boolean } {
  try {
    const stat = fstatSync(0);
    if (stat.isFile() || stat.isFIFO() || stat.isSocket()) return new DescriptorInput(0, !stat.isFile());
  } catch {
    // No usable fd 0: Node's own stdin says what there is.
  }
  return process.stdin;
}

/** process.send and its events, for a worker process of `sink --workers`. */
function parentChannel(): ParentChannel {
  return {
    send: (message) => process.send?.(message),
    onMessage: (handler) => process.on('message', handler),
    onDisconnect: (handler) => process.once('disconnect', handler),
    disconnect: () => process.disconnect?.(),
  };
}

export function processIo(entries?: { command: string; thread: string }): MainIo {
  let stdin: (Readable & { isTTY?: boolean }) | undefined;
  return {
    threadEntry: entries?.thread,
    commandEntry: entries?.command,
    parent: process.send && process.env.MAILPROBE_SINK_WORKER === '1' ? parentChannel() : undefined,
    get stdin() {
      return (stdin ??= standardInput());
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    onFatal(handler) {
      process.on('uncaughtException', handler);
      process.on('unhandledRejection', handler);
    },
    onOutputClosed(handler) {
      for (const stream of [process.stdout, process.stderr]) {
        stream.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') handler();
        });
      }
    },
  };
}

// Set by the bundler from package.json (see scripts/build.mjs).
declare const MAILPROBE_VERSION: string | undefined;

function versionNumber(): string {
  return typeof MAILPROBE_VERSION === 'string' ? MAILPROBE_VERSION : 'development build';
}

function version(): string {
  return `mailprobe ${versionNumber()}`;
}

/** The subcommands, for `mailprobe help CMD` and for "did you mean" on a mistyped one. */
type Command = (argv: string[], io: MainIo, printer: Printer) => Promise<number>;
const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['check', (argv, io, printer) => checkCommand(argv, io, printer, versionNumber())],
  ['cert', certCommand],
  ['load', loadCommand],
  ['send', sendCommand],
  ['sink', sinkCommand],
  ['demo', demoCommand],
]);
const COMMAND_NAMES = [...COMMANDS.keys()];

/**
 * A first argument that is no flag, no host and close to a subcommand's name is a mistyped
 * subcommand (`mailprobe chek host`), not a host name.
 */
function mistypedCommand(argv: string[]): MailprobeError | undefined {
  const [first, ...rest] = argv;
  if (!first || first.startsWith('-') || /[.:[\]]/.test(first)) return undefined;
  const close = COMMAND_NAMES.find((name) => editDistance(first, name) <= 2);
  const anotherTarget = rest.some((arg) => !arg.startsWith('-'));
  if (!close && !anotherTarget) return undefined;
  return usageError(`unknown command "${first}"${close ? ` (did you mean ${close}?)` : ''}`, `the commands are ${COMMAND_NAMES.join(', ')}; mailprobe -help says more`);
}

export async function main(argv: string[], io: MainIo): Promise<number> {
  // A closed standard output (`mailprobe ... | head`) is normal for a Unix tool: stop quietly.
  const outputClosed = new Promise<number>((resolve) => io.onOutputClosed?.(() => resolve(EXIT_CODES.OUTPUT_CLOSED)));
  return Promise.race([dispatch(argv, io), outputClosed]);
}

async function dispatch(argv: string[], io: MainIo): Promise<number> {
  let printer = new Printer(io.stdout, io.stderr, palette(colourLevel(io.env, !!io.stdout.isTTY)));
  try {
    if (argv[0] === 'help') {
      // `mailprobe help CMD` is `mailprobe CMD --help`; `mailprobe help` is -help.
      if (argv[1] && COMMANDS.has(argv[1])) return await dispatch([argv[1], '--help'], io);
      io.stdout.write(helpText() + '\n');
      return EXIT_CODES.OK;
    }
    const command = COMMANDS.get(argv[0] ?? '');
    if (command) return await command(argv.slice(1), io, printer);
    const mistyped = mistypedCommand(argv);
    if (mistyped) throw mistyped;
    const { flags, positional } = parseSessionArgs(normaliseArgv(argv, SESSION_FLAGS));
    if (flags.help) {
      io.stdout.write(helpText() + '\n');
      return EXIT_CODES.OK;
    }
    if (flags.version) {
      io.stdout.write(version() + '\n');
      return EXIT_CODES.OK;
    }
    if (flags.mx || flags.srv) return await lookedUpSession(flags, positional, io, printer, (next) => (printer = next));
    if (flags.port !== undefined || flags.resolver !== undefined) throw usageError('-port and -resolver go with --mx DOMAIN or --srv DOMAIN SERVICE', 'give the port in -connect host:port');
    const { options, modeNote } = resolveSession(flags, positional, io.env);
    const sessionPrinter = new Printer(io.stdout, io.stderr, printer.palette, options.quiet);
    if (options.log) sessionPrinter.transcript = new Transcript(options.log);
    printer = sessionPrinter; // failures from here on reach the transcript too
    if (modeNote) sessionPrinter.note(modeNote);
    // An error thrown from an event handler must still end as one line and an exit code.
    const fatal = new Promise<never>((_, reject) => io.onFatal?.(reject));
    return await Promise.race([runSession(options, sessionPrinter, io), fatal]);
  } catch (error) {
    const failure =
      error instanceof MailprobeError
        ? error
        : new MailprobeError('INTERNAL', `unexpected error: ${messageOf(error)}`, {
            cause: error,
            hint: 'this is a bug in mailprobe; please report it with the command you ran',
          });
    printer.error(failure);
    printer.transcript?.close();
    return failure.exitCode;
  }
}

/**
 * `mailprobe --mx DOMAIN` and `--srv DOMAIN SERVICE`: DNS says where to connect, and the
 * session goes to the first address that answers.
 */
async function lookedUpSession(flags: SessionFlags, positional: string[], io: MainIo, printer: Printer, use: (printer: Printer) => void): Promise<number> {
  if (flags.mx && flags.srv) throw usageError('--mx and --srv cannot be used together');
  if (positional.length > 0 || flags.connect || flags.starttls || flags.tls || flags.plain || flags.proto) {
    throw usageError(`${flags.mx ? '--mx' : '--srv'} chooses the server and the protocol itself`, 'leave out -connect, -starttls, -tls, -plain and -proto');
  }
  const [domain, service] = (flags.mx ?? flags.srv ?? '').split(' ').map((part) => part.replace(/\.$/, '').toLowerCase());
  if (flags.srv && flags.port !== undefined) throw usageError('-port goes with --mx: the SRV record says the port');
  const port = flags.port === undefined ? 25 : Number(flags.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw usageError(`-port ${flags.port} is not a port number`);
  const { options } = resolveSession({ ...flags, connect: `${domain}:${port}`, starttls: 'smtp' }, []);
  const sessionPrinter = new Printer(io.stdout, io.stderr, printer.palette, options.quiet);
  if (options.log) sessionPrinter.transcript = new Transcript(options.log);
  use(sessionPrinter);
  const resolver = new StubResolver(nameservers(flags.resolver), options.timeoutMs);
  const note = (text: string) => sessionPrinter.note(text);
  const targets = flags.mx ? await mxTargets(domain, port, options, resolver, note) : await srvTargets(domain, service, options, resolver, note);
  const fatal = new Promise<never>((_, reject) => io.onFatal?.(reject));
  return await Promise.race([runFirstAnswering(targets, sessionPrinter, io), fatal]);
}

/**
 * A worker thread's start (bin/mailprobe.cjs calls it when it runs as one): the part of a
 * command the thread was started for, told by its workerData.
 */
export function threadMain(data: unknown, port: MessagePort | null): void {
  const known = data as { mailprobeThread?: string } | null;
  if (known?.mailprobeThread !== 'load' || !port) throw new Error('mailprobe was started as a worker thread without a task');
  loadThreadMain(data as LoadThreadData, port, process.env);
}
