// `mailprobe sink`: an SMTP/LMTP receiver that accepts (or fails, on request) whatever it
// is sent, counts it, and optionally saves it: the other end for `mailprobe load`, for
// testing a relay's retries, or for a client under development.
import { readFlagFile } from './flagFile.js';
import { availableParallelism, hostname } from 'node:os';
import { isIP } from 'node:net';
import { EXIT_CODES, MailprobeError, usageError } from '../errors.js';
import { DEFAULT_MAX_SIZE, DEFAULT_PORT, RateMeter, startSink, type SinkHandle, type SinkOptions, type SinkSummary } from '../sink/index.js';
import { counted, grouped } from '../terminal/numbers.js';
import { escapeText } from '../terminal/escape.js';
import { jsonDocument } from '../terminal/json.js';
import type { Printer } from '../terminal/printer.js';
import type { SafeText } from '../terminal/safeText.js';
import { formatHostPort } from '../transport/address.js';
import { selfSignedCertificate } from '../transport/selfSigned.js';
import { runSinkWorker, startSinkWorkers } from '../sink/workers.js';
import type { FlagSpec } from './flags.js';
import { commandHelp, flagName } from './help.js';
import type { MainIo } from './io.js';
import { commandContext, normaliseArgv } from './normalise.js';
import { parseArgs, type ParsedFlags } from './program.js';

export const SINK_FLAGS: FlagSpec[] = [
  { name: 'listen', value: 'host:port', help: `address to listen on (default 127.0.0.1:${DEFAULT_PORT}; port 0 picks a free one)` },
  { name: 'tls_cert', value: 'file', help: 'PEM certificate (chain) to offer STARTTLS with' },
  { name: 'tls_key', value: 'file', help: 'PEM private key for --tls-cert' },
  { name: 'tls_self_signed', help: 'offer STARTTLS with a fresh self-signed certificate (localhost, 127.0.0.1, ::1)' },
  { name: 'lmtp', help: 'speak LMTP: LHLO, one reply per recipient after the message' },
  { name: 'auth', value: 'user:pass', help: 'accept only these AUTH credentials (default: any credentials)' },
  { name: 'fail_rate', value: 'fraction', help: 'fail this fraction (0-1) of transactions with --fail-code' },
  { name: 'fail_code', value: 'code', help: 'reply code for --fail-rate (default 451; 4xx or 5xx)' },
  { name: 'fail_at', value: 'stage', help: 'where --fail-rate strikes: data (the reply after the message; default) or rcpt' },
  { name: 'disconnect_rate', value: 'fraction', help: 'drop the connection once DATA starts in this fraction (0-1) of transactions' },
  { name: 'seed', value: 'N', help: 'seed the --fail-rate and --disconnect-rate dice, for repeatable runs' },
  { name: 'delay', value: 'time', help: 'wait this long before every reply (50ms, 1s; a bare number is ms)' },
  { name: 'save', value: 'dir', help: 'write each accepted message to DIR/<queue id>.eml' },
  { name: 'max_size', value: 'bytes', help: `SIZE advertised; bigger messages get 552 (default ${DEFAULT_MAX_SIZE}; k and m suffixes)` },
  { name: 'duration', value: 'time', help: 'stop after this long (10s, 2m, 500ms; a bare number is seconds)' },
  { name: 'count', value: 'N', help: 'stop after N accepted messages' },
  { name: 'workers', value: 'N', help: 'accept in N processes on the one port (default: one per two cores, at most 8)' },
  { name: 'json', help: 'print the final summary as one JSON object' },
  { name: 'help', aliases: ['h'], help: 'show this help' },
];

const HELP_TAIL = [
  'The first line printed is "listening on HOST:PORT (SMTP[, STARTTLS])". On a terminal a status',
  'line follows; the summary comes at the end (Ctrl-C, --duration or --count).',
  'Replies: 250 queued as <id>; injected failures say "Injected failure"; 552 over --max-size.',
  'Exit codes: 0 stopped by Ctrl-C, --duration or --count, after the summary; 2 bad flags or',
  'arguments, an unusable --tls-cert/--tls-key or a --save directory that cannot be made; 4 cannot',
  'listen on the address (the port is in use, or the address is not this machine\'s).',
];

type Flags = ParsedFlags;
type StopReason = 'count' | 'duration' | 'interrupt';

function text(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** "50ms", "2s", "1.5m"; a bare number is in `bareUnit`. */
export function parseTime(value: string, name: string, bareUnit: 'ms' | 's'): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i.exec(value.trim());
  if (!match) throw usageError(`${flagName(name)} ${value} is not a time`, 'write 50ms, 10s or 2m');
  const unit = (match[2] ?? bareUnit).toLowerCase();
  return Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
}

function parseFraction(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw usageError(`${flagName(name)} ${value} must be a number from 0 to 1`);
  return n;
}

function parseWhole(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw usageError(`${flagName(name)} ${value} must be a whole number of at least ${min}`);
  return n;
}

function parseBytes(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\s*(k|kb|m|mb)?$/i.exec(value.trim());
  if (!match || Number(match[1]) < 1) throw usageError(`${flagName(name)} ${value} is not a size`, 'write bytes, or with k or m: 10m');
  const unit = (match[2] ?? '').toLowerCase();
  return Number(match[1]) * (unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1);
}

/** "127.0.0.1:2525", "[::1]:0", "localhost", ":2525" or "2525". */
export function parseListen(value: string): { host: string; port: number } {
  const trimmed = value.trim();
  const bare = /^\d{1,5}$/.test(trimmed);
  const match = bare ? ['', undefined, '', trimmed] : /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(trimmed);
  if (!match) throw usageError(`--listen ${value} is not HOST:PORT`, 'write 127.0.0.1:2525, [::1]:2525 or :0');
  const host = match[1] ?? (match[2] || '127.0.0.1');
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port > 65535) throw usageError(`--listen ${value}: port ${port} is out of range`);
  if (match[1] !== undefined && isIP(match[1]) !== 6) throw usageError(`--listen ${value}: ${match[1]} is not an IPv6 address`);
  return { host, port };
}

function readPem(file: string, name: string): string {
  return readFlagFile(file, flagName(name)).toString('utf8');
}

function tlsOf(flags: Flags, host: string): Pick<SinkOptions, 'certPem' | 'keyPem'> {
  const cert = text(flags, 'tls_cert');
  const key = text(flags, 'tls_key');
  if (flags.tls_self_signed) {
    if (cert || key) throw usageError('--tls-self-signed and --tls-cert/--tls-key exclude each other');
    const names = ['localhost', '127.0.0.1', '::1'];
    const machine = hostname();
    for (const name of [host, machine]) {
      if (name && !names.includes(name) && name !== '0.0.0.0' && name !== '::' && /^[A-Za-z0-9.:-]+$/.test(name)) names.push(name);
    }
    return selfSignedCertificate(names);
  }
  if (!cert !== !key) throw usageError('--tls-cert and --tls-key go together');
  return cert && key ? { certPem: readPem(cert, 'tls_cert'), keyPem: readPem(key, 'tls_key') } : {};
}

interface SinkRun {
  options: SinkOptions;
  durationMs?: number;
  count?: number;
  workers: number;
}

/**
 * --workers N, or one per two cores (the clients under test need cores too), at most 8; one
 * where the sink runs in-process (no command to start again).
 */
function sinkWorkers(flags: Flags, io: MainIo): number {
  const given = parseWhole(text(flags, 'workers'), 'workers', 1);
  if (given !== undefined && given > 1 && !io.commandEntry) throw usageError('--workers needs mailprobe run as a command (bin/mailprobe.cjs)', 'use --workers 1');
  return given ?? (io.commandEntry ? Math.max(1, Math.min(Math.floor(availableParallelism() / 2), 8)) : 1);
}

/** The flags read into what to run; a worker is sent its certificate, so it makes none. */
function sinkRun(flags: Flags, io: MainIo, worker = false): SinkRun {
  const { host, port } = parseListen(text(flags, 'listen') ?? `127.0.0.1:${DEFAULT_PORT}`);
  const auth = text(flags, 'auth');
  const colon = auth?.indexOf(':') ?? -1;
  if (auth !== undefined && colon < 1) throw usageError('--auth wants USER:PASS');
  const failAt = text(flags, 'fail_at');
  if (failAt !== undefined && failAt !== 'rcpt' && failAt !== 'data') throw usageError(`--fail-at ${failAt}: say rcpt or data`);
  const failCode = parseWhole(text(flags, 'fail_code'), 'fail_code', 400);
  if (failCode !== undefined && failCode > 599) throw usageError(`--fail-code ${failCode} must be a 4xx or 5xx code`);
  const delay = text(flags, 'delay');
  const duration = text(flags, 'duration');
  return {
    options: {
      host,
      port,
      lmtp: !!flags.lmtp,
      ...(worker ? {} : tlsOf(flags, host)),
      auth: auth === undefined ? undefined : { user: auth.slice(0, colon), password: auth.slice(colon + 1) },
      failRate: parseFraction(text(flags, 'fail_rate'), 'fail_rate'),
      failCode,
      failAt,
      disconnectRate: parseFraction(text(flags, 'disconnect_rate'), 'disconnect_rate'),
      seed: parseWhole(text(flags, 'seed'), 'seed', 0),
      delayMs: delay === undefined ? undefined : parseTime(delay, 'delay', 'ms'),
      saveDir: text(flags, 'save'),
      maxSize: parseBytes(text(flags, 'max_size'), 'max_size'),
    },
    durationMs: duration === undefined ? undefined : parseTime(duration, 'duration', 's'),
    count: parseWhole(text(flags, 'count'), 'count', 1),
    workers: worker ? 1 : sinkWorkers(flags, io),
  };
}

function statusLine(sink: SinkHandle, rate: number): string {
  const s = sink.stats;
  return `accepted ${s.accepted}  temp-failed ${s.tempFailed}  rejected ${s.rejected}  dropped ${s.dropped}  ${rate} accepted/s  ${s.open} open`;
}

export function formatSinkSummary(where: string, sink: SinkHandle, summary: SinkSummary, workers = 1): SafeText[] {
  const lines = [
    `sink summary (${where}, ${sink.protocol}${workers > 1 ? `, ${workers} worker processes` : ''}):`,
    `  connections   ${grouped(summary.connections)}`,
    `  accepted      ${counted(summary.accepted, 'message')}, ${counted(summary.recipients, 'recipient')}`,
    `  temp-failed   ${grouped(summary.tempFailed)}`,
    `  rejected      ${grouped(summary.rejected)}`,
    `  dropped       ${counted(summary.dropped, 'connection')} cut mid-DATA`,
    `  bytes         ${grouped(summary.bytes)}`,
    `  rate          ${grouped(summary.messagesPerSecond)} accepted messages/s (${summary.activeSeconds} s of traffic, ${summary.seconds} s listening)`,
  ];
  return lines.map((line) => escapeText(line));
}

export async function sinkCommand(argv: string[], io: MainIo, printer: Printer): Promise<number> {
  // A client that resets its connection is routine for a sink, and Node builds an Error for
  // each; the sink never shows a stack, and capturing one per reset costs more CPU than the
  // whole SMTP dialogue of that connection. Errors are still made, with no frames.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const { flags, positional } = parseArgs(normaliseArgv(argv, SINK_FLAGS, commandContext('sink')), SINK_FLAGS);
    if (flags.help) {
      io.stdout.write(commandHelp('Usage: mailprobe sink [--listen HOST:PORT] [flags]', SINK_FLAGS, HELP_TAIL) + '\n');
      return EXIT_CODES.OK;
    }
    if (positional.length > 0) throw usageError(`unexpected argument ${positional[0]}`, 'mailprobe sink takes flags only; see --help');
    if (io.parent) {
      // Ctrl-C reaches every process of the terminal's group: the first process decides, and tells the workers.
      io.onInterrupt?.(() => {});
      return await runSinkWorker(sinkRun(flags, io, true).options, io.parent);
    }
    const run = sinkRun(flags, io);
    let stop: (reason: StopReason) => void = () => {};
    const stopped = new Promise<StopReason>((resolve) => (stop = resolve));
    let sink: SinkHandle | undefined;
    const count = run.count;
    const counted = count === undefined ? undefined : () => (sink && sink.stats.accepted >= count ? stop('count') : undefined);
    sink =
      run.workers > 1
        ? await startSinkWorkers({ entry: io.commandEntry as string, argv: ['sink', ...argv], workers: run.workers, options: run.options, onProgress: counted })
        : await startSink({ ...run.options, onMessage: counted });
    const where = formatHostPort(sink.host, sink.port);
    printer.lines([escapeText(`listening on ${where} (${[sink.protocol, ...(sink.starttls ? ['STARTTLS'] : [])].join(', ')})`)]);
    const removeInterrupt = io.onInterrupt?.(() => stop('interrupt'));
    const timer = run.durationMs === undefined ? undefined : setTimeout(() => stop('duration'), run.durationMs);
    const meter = new RateMeter(sink.stats);
    const live = sink;
    const ticker = io.stdout.isTTY && !flags.json ? setInterval(() => io.stdout.write(`\r\x1b[K${statusLine(live, meter.sample())}`), 500) : undefined;
    const reason = await stopped;
    clearTimeout(timer);
    removeInterrupt?.();
    // Ctrl-C means now; --count and --duration let the last clients say QUIT.
    await sink.close(reason === 'interrupt' ? 0 : 1000);
    if (ticker) {
      clearInterval(ticker);
      io.stdout.write('\r\x1b[K');
    }
    const summary = sink.stats.summary();
    if (flags.json) io.stdout.write(jsonDocument({ listen: where, protocol: sink.protocol, starttls: sink.starttls, stoppedBy: reason, workers: run.workers, ...summary }, 0) + '\n');
    else printer.lines(formatSinkSummary(where, sink, summary, run.workers));
    return EXIT_CODES.OK;
  } catch (error) {
    if (!(error instanceof MailprobeError)) throw error;
    printer.error(error);
    return error.exitCode;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}
