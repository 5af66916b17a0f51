// `mailprobe load HOST[:PORT]`: a load test from the same tool, with the TLS and AUTH it
// already has. Exit codes in LOAD_HELP_TAIL.
import { isIP } from 'node:net';
import { CHECK_EXIT } from '../checks/types.js';
import { EXIT_CODES, MailprobeError, usageError } from '../errors.js';
import { availableParallelism } from 'node:os';
import type { MessagePort } from 'node:worker_threads';
import { startLoad, type LoadOptions } from '../load/run.js';
import { SHARED_BUDGET_MAX } from '../load/budget.js';
import { runLoadThread, startLoadThreads, type LoadThreadData } from '../load/threads.js';
import { readPassFile } from '../client/secrets.js';
import { formatLoadReport, loadJson, loadSummary, progressLine } from '../load/report.js';
import type { Printer } from '../terminal/printer.js';
import { formatHostPort } from '../transport/address.js';
import { CREDENTIAL_FLAGS, SESSION_FLAGS, type FlagSpec } from './flags.js';
import { ROUTE_FLAGS } from './routeFlags.js';
import { CONNECTION_TLS_FLAGS } from './tlsFlags.js';
import { commandHelp } from './help.js';
import type { MainIo } from './io.js';
import { commandContext, normaliseArgv } from './normalise.js';
import { parseArgs, type ParsedFlags } from './program.js';
import { resolveSession, type SessionFlags } from './resolve.js';

const CONNECTION = ['starttls', 'tls', 'plain', 'servername', 'noservername', 'name', 'CAfile', 'CApath', 'timeout', 'ipv4', 'ipv6', ...ROUTE_FLAGS.map((flag) => flag.name), ...CONNECTION_TLS_FLAGS, 'help'];

export const LOAD_FLAGS: FlagSpec[] = [
  ...SESSION_FLAGS.filter((flag) => CONNECTION.includes(flag.name)),
  ...CREDENTIAL_FLAGS,
  { name: 'connections', value: 'N', aliases: ['c'], help: 'parallel connections (default 1)' },
  { name: 'messages', value: 'N', aliases: ['n'], help: 'messages in all (default 100)' },
  { name: 'duration', value: 'time', help: 'send for this long instead (30s, 2m, 500ms)' },
  { name: 'per_conn', value: 'M', aliases: ['per-conn'], help: 'messages per connection before reconnecting (default 100)' },
  { name: 'size', value: 'bytes', help: 'message body size (4k, 1m; default 4k)' },
  { name: 'from', value: 'address', help: 'envelope sender (default mailprobe@localhost)' },
  { name: 'to', value: 'address', help: 'recipient (default test@localhost)' },
  { name: 'rcpts', value: 'K', help: 'recipients per message (to, then to+2, to+3, ...)' },
  { name: 'pipelining', help: 'send MAIL, RCPT and DATA (or BDAT) together when the server offers PIPELINING (the default)' },
  { name: 'no_pipelining', aliases: ['no-pipelining'], help: 'one command at a time, as smtp-source' },
  { name: 'bdat', help: 'send each message as BDAT ... LAST when the server offers CHUNKING (the default)' },
  { name: 'no_bdat', aliases: ['no-bdat'], help: 'DATA even where CHUNKING is offered' },
  { name: 'rset', help: 'RSET between every two messages, not only after a refused one' },
  { name: 'no_rset', aliases: ['no-rset'], help: 'RSET only after a refused message (the default; as smtp-source)' },
  { name: 'lmtp', help: 'speak LMTP (LHLO, one reply per recipient)' },
  { name: 'user', value: 'user', help: 'AUTH once per connection (password from --password, MAILPROBE_PASSWORD or --pass-file)' },
  { name: 'password', value: 'password', help: 'password for --user' },
  { name: 'pass_file', value: 'file', aliases: ['pass-file'], help: 'read the password from FILE' },
  { name: 'workers', value: 'N', help: 'spread the connections over N threads (default: one per two cores, at most one per connection)' },
  { name: 'json', help: 'print the final report as JSON' },
  { name: 'yes', help: 'allow more than 1,000 messages to a host that is not on this machine' },
];

const LOAD_HELP_TAIL = [
  'Exit codes: 0 every message accepted; 2 some failed, or the login was refused; 3 could not run',
  '(bad flags or arguments, no connection could be opened); 13 mailprobe refused to send the',
  'credentials (cleartext or unverified TLS); 130 interrupted with Ctrl-C (after the partial report).',
];

export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!match) throw usageError(`--size ${text} is not a size`, 'write bytes, or with k or m: 4k, 1m');
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1;
  return Math.round(Number(match[1]) * factor);
}

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i.exec(text.trim());
  if (!match) throw usageError(`--duration ${text} is not a duration`, 'write 30s, 2m or 500ms');
  const unit = (match[2] ?? 's').toLowerCase();
  return Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
}

function count(value: ParsedFlags[string], name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${name} ${String(value)} must be a whole number of at least 1`);
  return n;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1');
}

interface ParsedLoad {
  options: LoadOptions;
  json: boolean;
  workers: number;
  /** The command's arguments, as a thread reads them again. */
  argv: string[];
}

/** --workers N, or the default: one thread per two cores (the server under test needs cores too), at most one per connection. */
function workerCount(value: ParsedFlags[string], connections: number): number {
  if (value !== undefined) return Math.min(count(value, 'workers', 1), connections);
  return Math.max(1, Math.min(connections, Math.floor(availableParallelism() / 2), MAX_DEFAULT_WORKERS));
}
const MAX_DEFAULT_WORKERS = 8;

/** The command's flags read into a run's options: the same for the command and for each thread. */
function parseLoad(argv: string[], env: NodeJS.ProcessEnv): ParsedLoad | 'help' {
  const { flags, positional } = parseArgs(normaliseArgv(argv, LOAD_FLAGS, commandContext('load')), LOAD_FLAGS);
  if (flags.help) return 'help';
  if (positional.length !== 1) throw usageError('give one HOST[:PORT]', 'usage: mailprobe load HOST[:PORT] (see --help)');
  const lmtp = !!flags.lmtp;
  const { options: session } = resolveSession({ ...(flags as SessionFlags), connect: positional[0], proto: lmtp ? 'lmtp' : 'smtp' }, [], env);
  const messages = flags.duration === undefined ? count(flags.messages, 'messages', 100) : undefined;
  const durationMs = typeof flags.duration === 'string' ? parseDuration(flags.duration) : undefined;
  if (!isLoopback(session.host) && !flags.yes && (durationMs !== undefined || (messages ?? 0) > 1000)) {
    throw usageError(`refusing to send ${messages ?? 'unbounded'} messages to ${session.host}, which is not this machine, without --yes`, 'a load test is not a spam run: test your own servers, and say --yes');
  }
  const to = typeof flags.to === 'string' ? flags.to : 'test@localhost';
  const rcpts = count(flags.rcpts, 'rcpts', 1);
  const [local, domain] = to.split('@');
  const recipients = Array.from({ length: rcpts }, (_, i) => (i === 0 ? to : `${local}+${i + 1}@${domain}`));
  const user = typeof flags.user === 'string' ? flags.user : undefined;
  const password = typeof flags.password === 'string' ? flags.password : env.MAILPROBE_PASSWORD || (typeof flags.pass_file === 'string' ? readPassFile(flags.pass_file) : undefined);
  const connections = count(flags.connections, 'connections', 1);
  const workers = workerCount(flags.workers, connections);
  if (workers > 1 && messages !== undefined && messages > SHARED_BUDGET_MAX) throw usageError(`--messages ${messages} is more than ${SHARED_BUDGET_MAX} messages over several threads`, 'use --duration, or --workers 1');
  // The fastest correct dialogue the server offers is the default: PIPELINING and CHUNKING
  // where offered (one round trip per message), RSET only after a refusal (RFC 5321 §4.1.4:
  // a new MAIL starts a new transaction after an accepted one).
  for (const [yes, no] of [['pipelining', 'no_pipelining'], ['bdat', 'no_bdat'], ['rset', 'no_rset']] as const) {
    if (flags[yes] && flags[no]) throw usageError(`--${yes} and --${no.replace('_', '-')} contradict each other`);
  }
  const options: LoadOptions = {
    // The handshake is not followed for the report's client-certificate line: no per-connection cost.
    session: { ...session, noEhlo: true, quiet: true, tls: { ...session.tls, inspectHandshake: false } },
    connections,
    messages,
    durationMs,
    perConnection: count(flags.per_conn, 'per-conn', 100),
    size: typeof flags.size === 'string' ? parseSize(flags.size) : 4096,
    from: typeof flags.from === 'string' ? flags.from : 'mailprobe@localhost',
    to: recipients,
    pipelining: !flags.no_pipelining,
    bdat: !flags.no_bdat,
    rset: !!flags.rset,
    user,
    password,
  };
  return { options, json: !!flags.json, workers, argv };
}

/** One thread of `load --workers N` (see load/threads.ts): the command's arguments read again, its share run. */
export function loadThreadMain(data: LoadThreadData, port: MessagePort, env: NodeJS.ProcessEnv): void {
  // The command read these arguments without error before it started the thread.
  const parsed = parseLoad(data.argv, { ...env, MAILPROBE_PASSWORD: data.password ?? '' }) as ParsedLoad;
  runLoadThread(data, parsed.options, port);
}

export async function loadCommand(argv: string[], io: MainIo, printer: Printer): Promise<number> {
  try {
    const parsed = parseLoad(argv, io.env);
    if (parsed === 'help') {
      io.stdout.write(commandHelp('Usage: mailprobe load HOST[:PORT] [-starttls smtp | -tls] [flags]', LOAD_FLAGS, LOAD_HELP_TAIL) + '\n');
      return 0;
    }
    const { options, workers } = parsed;
    const { session, connections } = options;
    const tty = !!io.stdout.isTTY && !parsed.json;
    if (workers > 1 && !io.threadEntry) throw usageError('--workers needs mailprobe run as a command (bin/mailprobe.cjs)', 'use --workers 1');
    const run =
      workers > 1
        ? startLoadThreads({ entry: io.threadEntry as string, argv, workers, connections, messages: options.messages, durationMs: options.durationMs, password: options.password, progress: tty, loginFirst: options.user !== undefined })
        : startLoad(options);
    let interrupted = false;
    const removeInterrupt = io.onInterrupt?.(() => {
      interrupted = true;
      run.stop();
    });
    const ticker = tty ? setInterval(() => io.stdout.write(`\r\x1b[K${progressLine(run.stats)}`), 250) : undefined;
    const stats = await run.done;
    if (ticker) {
      clearInterval(ticker);
      io.stdout.write('\r\x1b[K');
    }
    removeInterrupt?.();
    const dialogue = { pipelining: options.pipelining, bdat: options.bdat, rset: options.rset };
    const summary = loadSummary(stats, formatHostPort(session.host, session.port), session.mode, session.protocol.name, connections, dialogue, interrupted, workers);
    if (parsed.json) io.stdout.write(loadJson(summary) + '\n');
    else printer.lines(formatLoadReport(summary));
    const aborted = run.aborted();
    if (aborted) printer.error(aborted);
    // Ctrl-C says first that the run is not what was asked for, whatever it had done by then.
    if (interrupted) return EXIT_CODES.INTERRUPTED;
    // A refused login is a failed run (2); credentials held back by the policy, 13.
    if (aborted) return aborted.code === 'CREDENTIALS_REFUSED' ? aborted.exitCode : CHECK_EXIT.FAIL;
    if (stats.connectionsOpened === 0) return CHECK_EXIT.ERROR;
    return stats.messages === stats.accepted && stats.connectionsFailed === 0 ? CHECK_EXIT.OK : CHECK_EXIT.FAIL;
  } catch (error) {
    if (!(error instanceof MailprobeError)) throw error;
    printer.error(error);
    return CHECK_EXIT.ERROR;
  }
}
