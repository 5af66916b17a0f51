// From nothing to a connection every command can use: TCP, then implicit TLS, or the
// protocol's STARTTLS dialogue and the upgrade. On a port no flag or table names, the
// greeting says which protocol the server speaks. Nothing here prints: what happens is
// reported to the observer, and the session, `check` and `load` each decide what to show.
import { MailprobeError, serverClosed } from '../errors.js';
import { recogniseGreeting } from '../protocols/registry.js';
import { raw } from '../protocols/raw/index.js';
import type { Capabilities, DialogueContext, ProtocolSpec } from '../protocols/types.js';
import { describeNetError } from '../transport/connect.js';
import { openRoute } from '../transport/route/open.js';
import { describeHop } from '../transport/route/types.js';
import { handshake, NotTlsError, type TlsInfo } from '../transport/handshake.js';
import { checkTlsSettings, prepareTls } from '../transport/tlsOptions.js';
import { formatHostPort } from '../transport/address.js';
import { defaultClientName } from './clientName.js';
import { ServerConnection } from './connection.js';
import { UNOBSERVED, type ConnectionObserver } from './events.js';
import { peekFirstLine } from './peek.js';
import { injectionError } from './injection.js';
import type { SessionOptions } from './options.js';
import { now } from '../clock.js';

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

/** Which protocol a server's first plaintext bytes belong to, if any (for hints). */
export function guessProtocol(bytes: Buffer): string | undefined {
  return recogniseGreeting(bytes.toString('latin1').split(/\r?\n/, 1)[0] ?? '')?.name;
}

function plaintextOnTlsPort(error: NotTlsError): MailprobeError {
  const guess = guessProtocol(error.received);
  return new MailprobeError('TLS_HANDSHAKE', 'this port speaks plaintext, not TLS: the server sent a plaintext greeting', {
    bytes: error.received,
    hint: guess ? `try -starttls ${guess} (or -plain)` : 'try -starttls PROTO, or -plain',
  });
}

export function checkVerdict(info: TlsInfo, options: SessionOptions): void {
  if (!options.verifyReturnError || info.verdict.verified) return;
  throw new MailprobeError('CERT_VERIFY', `certificate verification failed: ${info.verdict.reasons.join('; ')}`, {
    hint: 'without -verify_return_error the session would go on; give the right CA with -CAfile',
  });
}

/** How long a port with no protocol waits for a greeting before lines go out unpaced. */
const RECOGNISE_MS = 10_000;

/** The protocol to speak: the one given, or the one the greeting names (raw when none does). */
async function recognise(socket: ServerConnection['socket'], options: SessionOptions, observer: ConnectionObserver): Promise<ProtocolSpec> {
  if (options.protocol !== raw) return options.protocol;
  const first = await peekFirstLine(socket, Math.min(options.timeoutMs, RECOGNISE_MS));
  if (first.ended) {
    socket.destroy();
    throw first.ended === true ? serverClosed('the server closed the connection before its greeting') : describeNetError(first.ended, formatHostPort(options.host, options.port));
  }
  const spec = first.line === undefined ? undefined : recogniseGreeting(first.line);
  observer.event(spec ? { kind: 'recognised', protocol: spec, port: options.port } : { kind: 'unrecognised', port: options.port });
  return spec ?? options.protocol;
}

/**
 * `recognise: false` for callers that need only the TLS session (cert, version probes): on a
 * port no protocol is known for, they do not wait for a greeting that may never come.
 */
export async function establish(options: SessionOptions, observer: ConnectionObserver, how: { recognise?: boolean } = {}): Promise<Established> {
  const where = formatHostPort(options.host, options.port);
  // A bad -CAfile/-CApath or TLS flag is a usage error before anything touches the network.
  checkTlsSettings(options.tls);
  const via = options.route && describeHop(options.route.hop);
  observer.event({ kind: 'connecting', where: via ? `${where} ${via}` : where, mode: describeMode(options) });
  const started = now();
  const since = () => Math.round((now() - started) * 10) / 10;
  const opening = openRoute({ host: options.host, port: options.port, family: options.family }, options.route, options.timeoutMs);
  // Once the connect has gone out (next tick), the TLS options are made while the network works.
  if (options.mode !== 'plain') setImmediate(() => prepareTls(options.tls));
  const opened = await opening;
  let socket: ServerConnection['socket'] = opened.socket;
  const timings: Established['timings'] = { connectMs: since() };
  observer.event({ kind: 'connected', address: opened.reached });
  let tag = 0;
  const context: DialogueContext = {
    clientName: options.clientName ?? defaultClientName(socket),
    serverHost: options.host,
    givenName: options.xmppHost ?? options.clientName,
    nextTag: () => `a${++tag}`,
  };
  const connectionOptions = { lineEnding: options.lineEnding, timeoutMs: options.timeoutMs, quietDialogue: options.quiet, where };

  let tls: TlsInfo | undefined;
  if (options.mode === 'tls') {
    // A protocol that names itself in ALPN for direct TLS (PostgreSQL 17) does so unless -alpn says otherwise.
    const settings = options.tls.alpn || !options.protocol.implicitTlsAlpn ? options.tls : { ...options.tls, alpn: options.protocol.implicitTlsAlpn };
    const result = await handshake(socket, settings, options.timeoutMs, (event) => observer.event({ kind: 'tls-trace', event })).catch((error: unknown) => {
      throw error instanceof NotTlsError ? plaintextOnTlsPort(error) : error;
    });
    socket = result.socket;
    tls = result.info;
    timings.tlsMs = since();
    observer.event({ kind: 'tls', info: tls });
    try {
      checkVerdict(tls, options);
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }
  const protocol = options.mode === 'starttls' || how.recognise === false ? options.protocol : await recognise(socket, options, observer);
  const connection = new ServerConnection(socket, protocol, observer, connectionOptions, { tls, greeting: protocol !== raw && protocol.greets !== false });
  connection.onFirstBytes = () => (timings.greetingMs ??= since());
  if (options.mode !== 'starttls') return { connection, context, timings };

  const preTlsCapabilities = await protocol.startTls(connection, context);
  observer.event({ kind: 'starttls-accepted' });
  const info = await connection.upgrade(options.tls).catch((error: unknown) => {
    if (!(error instanceof NotTlsError)) throw error;
    throw injectionError('instead', error.received);
  });
  timings.tlsMs = since();
  checkVerdict(info, options);
  // Whatever was learned before TLS is forgotten: capabilities are asked for again.
  let capabilities: Capabilities | undefined;
  if (!options.noEhlo || protocol.readsCapabilitiesUnasked) {
    capabilities = await protocol.afterTls(connection, context);
  }
  return { connection, context, capabilities, preTlsCapabilities, timings };
}

export function describeMode(options: SessionOptions): string {
  const label = options.protocol === raw ? '' : ` ${options.protocol.label}`;
  if (options.mode === 'starttls') return `STARTTLS${label}`;
  if (options.mode === 'tls') return `implicit TLS${label}`;
  return `plaintext${label}, no TLS`;
}

/** A connection for `check`, `load` and probes: nothing shown, the verdict left to the caller. */
export function connectUnobserved(options: SessionOptions, how: { recognise?: boolean } = {}): Promise<Established> {
  return establish({ ...options, quiet: true, verifyReturnError: false }, UNOBSERVED, how);
}
