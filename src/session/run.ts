// A session from the command line: connect (or only connect, for --quit-after connect),
// open the --script if one is given, and hand over to the Session.
import { closeAfterGoodbye, goodbye } from '../client/goodbye.js';
import { accessSync, constants, createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { establish } from '../client/establish.js';
import type { SessionOptions } from '../client/options.js';
import { EXIT_CODES, MailprobeError } from '../errors.js';
import type { Printer } from '../terminal/printer.js';
import { openRoute } from '../transport/route/open.js';
import { sessionObserver } from './observer.js';
import { reconnect } from './reconnect.js';
import { Session, type SessionIo } from './session.js';
import type { MxTarget } from './mx.js';

export type { SessionIo };

/** How long a server has to close after a protocol's goodbye before mailprobe closes. */
const FAREWELL_MS = 2_000;

export async function runSession(options: SessionOptions, printer: Printer, io: SessionIo): Promise<number> {
  if (options.quitAfter === 'connect') {
    const { socket, reached } = await openRoute({ host: options.host, port: options.port, family: options.family }, options.route, options.timeoutMs);
    printer.note(`connected to ${reached}; quitting after connect as asked`);
    socket.destroy();
    return EXIT_CODES.OK;
  }
  // Stages before TLS need the dialogue to stop before STARTTLS.
  if (options.quitAfter === 'banner' && options.mode === 'starttls') options = { ...options, mode: 'plain' };
  if (options.quitAfter === 'tls') options = { ...options, noEhlo: true };
  const script = options.script ? openScript(options.script, io) : undefined;
  // The connection is told nothing of -quiet: it reports every line, and the observer decides
  // what is shown, so --log records the whole wire.
  const observer = sessionObserver(printer, options);
  // -quiet shows no TLS report, so the handshake is not followed for the line it would add
  // (whether the server asked for a client certificate): ~4 ms of decrypting its records.
  const tls = options.quiet ? { ...options.tls, inspectHandshake: false } : options.tls;
  const established = await establish({ ...options, quiet: false, tls }, observer);
  const { connection, context } = established;
  if (options.reconnect && connection.tls) await reconnect(options, connection.tls, printer);
  const closing = connection.protocol.closingDialogue;
  if (closing) {
    // No line session in this protocol: its own dialogue takes the session's place (shown
    // under -quiet as a session is), then a goodbye, and the end. A --quit-after stage
    // before the session (connect, banner, tls) ends before it: with banner the connection
    // stayed in cleartext, and the dialogue is not sent there in TLS's stead.
    observer.sessionStarts();
    if (!options.quitAfter || !['connect', 'banner', 'tls'].includes(options.quitAfter)) await closing(connection, context);
    goodbye(connection, context);
    await closeAfterGoodbye(connection, FAREWELL_MS);
    return EXIT_CODES.OK;
  }
  observer.sessionStarts();
  return new Session(established, options, printer, io, script).run();
}

function openScript(path: string, io: SessionIo): Readable {
  if (path === '-') return io.stdin;
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new MailprobeError('USAGE', `cannot read the script ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return createReadStream(path);
}


/** Failures after which a sending server tries the next MX address (RFC 5321 §5.1). */
const TRY_NEXT = new Set(['CONNECT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'SERVER_CLOSED']);

/** --mx: a session with the first MX address that answers, as a sending server would pick. */
export async function runFirstAnswering(targets: MxTarget[], printer: Printer, io: SessionIo): Promise<number> {
  for (const [i, target] of targets.entries()) {
    try {
      return await runSession(target.options, printer, io);
    } catch (error) {
      if (!(error instanceof MailprobeError) || !TRY_NEXT.has(error.code) || i === targets.length - 1) throw error;
      printer.note(`${target.label}: ${error.message}; trying the next MX address`);
    }
  }
  throw new MailprobeError('INTERNAL', 'no MX address to try');
}
