// From nothing to a session the user can type into: TCP, then implicit TLS, or the
// protocol's STARTTLS dialogue and the upgrade, then the TLS report.
import { MailprobeError } from '../errors.js';
import type { Capabilities, DialogueContext } from '../protocols/types.js';
import type { Printer } from '../terminal/printer.js';
import { formatBriefTls, formatTlsReport } from '../terminal/tlsReport.js';
import { connectTcp } from '../transport/connect.js';
import { NotTlsError, type TlsInfo } from '../transport/handshake.js';
import { tlsConnectionOptions } from '../transport/tlsOptions.js';
import { formatHostPort } from '../transport/address.js';
import { defaultClientName } from './clientName.js';
import { ServerConnection } from './connection.js';
import type { SessionOptions } from './options.js';

export interface Established {
  connection: ServerConnection;
  context: DialogueContext;
  /** Capabilities asked for over TLS (STARTTLS mode). */
  capabilities?: Capabilities;
  /** What the server announced before TLS (STARTTLS mode); never trusted, kept for checks. */
  preTlsCapabilities?: Capabilities;
  /** Milliseconds from the start: TCP connected, first server bytes, TLS handshake done. */
  timings: { connectMs: number; greetingMs?: number; tlsMs?: number };
}

/** Guesses, from what a server said, which protocol it speaks in plaintext. */
export function guessProtocol(bytes: Buffer): string | undefined {
  const text = bytes.toString('latin1');
  if (/^220[ -]/.test(text)) return /LMTP/i.test(text) ? 'lmtp' : 'smtp';
  if (/^\* (OK|PREAUTH)/i.test(text)) return 'imap';
  if (/^\+OK/.test(text)) return 'pop3';
  if (/^"IMPLEMENTATION"|^"SASL"/i.test(text)) return 'sieve';
  return undefined;
}

function plaintextOnTlsPort(error: NotTlsError): MailprobeError {
  const guess = guessProtocol(error.received);
  return new MailprobeError('TLS_HANDSHAKE', 'this port speaks plaintext, not TLS: the server sent a plaintext greeting', {
    bytes: error.received,
    hint: guess ? `try -starttls ${guess} (or -plain)` : 'try -starttls PROTO, or -plain',
  });
}

export function showTls(info: TlsInfo, printer: Printer, options: SessionOptions): void {
  if (options.quiet) return;
  if (options.brief) printer.lines([formatBriefTls(info, printer.palette)]);
  else printer.lines(formatTlsReport(info, printer.palette, { showCerts: options.showCerts }));
}

export function checkVerdict(info: TlsInfo, options: SessionOptions): void {
  if (!options.verifyReturnError || info.verdict.verified) return;
  throw new MailprobeError('CERT_VERIFY', `certificate verification failed: ${info.verdict.reasons.join('; ')}`, {
    hint: 'without -verify_return_error the session would go on; give the right CA with -CAfile',
  });
}

export async function establish(options: SessionOptions, printer: Printer): Promise<Established> {
  const where = formatHostPort(options.host, options.port);
  // A bad -CAfile/-CApath is a usage error before anything touches the network.
  tlsConnectionOptions(options.tls);
  printer.note(`connecting to ${where} (${describeMode(options)})`);
  const started = performance.now();
  const since = () => Math.round((performance.now() - started) * 10) / 10;
  const socket = await connectTcp(
    { host: options.host, port: options.port, family: options.family, timeoutMs: options.timeoutMs },
    where,
  );
  const timings: Established['timings'] = { connectMs: since() };
  printer.note(`connected to ${formatHostPort(socket.remoteAddress ?? options.host, socket.remotePort ?? options.port)}`);
  let tag = 0;
  const context: DialogueContext = {
    clientName: options.clientName ?? defaultClientName(socket),
    nextTag: () => `a${++tag}`,
  };
  const connectionOptions = {
    lineEnding: options.lineEnding,
    timeoutMs: options.timeoutMs,
    quietDialogue: options.quiet,
    where,
  };
  const framer = options.protocol.createFramer();
  const greetingOwed = options.mode !== 'starttls' && options.protocol.name !== 'raw';
  const connection = new ServerConnection(socket, options.protocol, framer, printer, connectionOptions, greetingOwed);
  connection.onFirstBytes = () => (timings.greetingMs ??= since());

  if (options.mode === 'tls') {
    const info = await connection.upgrade(options.tls).catch((error: unknown) => {
      throw error instanceof NotTlsError ? plaintextOnTlsPort(error) : error;
    });
    timings.tlsMs = since();
    timings.greetingMs = undefined; // the greeting comes over TLS, in the session
    showTls(info, printer, options);
    checkVerdict(info, options);
    return { connection, context, timings };
  }
  if (options.mode === 'plain') return { connection, context, timings };

  const preTlsCapabilities = await options.protocol.startTls(connection, context);
  printer.note('STARTTLS accepted; starting the TLS handshake');
  const info = await connection.upgrade(options.tls).catch((error: unknown) => {
    if (!(error instanceof NotTlsError)) throw error;
    throw new MailprobeError(
      'STARTTLS_INJECTION',
      'the server sent plaintext instead of a TLS handshake after its STARTTLS go-ahead (STARTTLS response injection), so mailprobe stops',
      { bytes: error.received, hint: 'someone between you and the server may be tampering with the connection' },
    );
  });
  timings.tlsMs = since();
  showTls(info, printer, options);
  checkVerdict(info, options);
  // Whatever was learned before TLS is forgotten: capabilities are asked for again.
  let capabilities: Capabilities | undefined;
  if (!options.noEhlo || options.protocol.readsCapabilitiesUnasked) {
    capabilities = await options.protocol.afterTls(connection, context);
  }
  return { connection, context, capabilities, preTlsCapabilities, timings };
}

export function describeMode(options: SessionOptions): string {
  const label = options.protocol.name === 'raw' ? '' : ` ${options.protocol.label}`;
  if (options.mode === 'starttls') return `STARTTLS${label}`;
  if (options.mode === 'tls') return `implicit TLS${label}`;
  return `plaintext${label}, no TLS`;
}
