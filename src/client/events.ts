// What the connection core reports instead of printing: the session turns these into
// notes, echo and server lines on the terminal; `check` and `load` into report fields or
// nothing at all.
import type { ProtocolSpec, ServerLine } from '../protocols/types.js';
import type { TlsInfo } from '../transport/handshake.js';
import type { TlsTraceEvent } from '../transport/trace/tracer.js';

export type ClientEvent =
  | { kind: 'connecting'; where: string; mode: string }
  | { kind: 'connected'; address: string }
  /** No greeting after a few seconds: greet-pause servers wait on purpose. */
  | { kind: 'greeting-slow' }
  /** On a port with no protocol given, the greeting said which protocol the server speaks. */
  | { kind: 'recognised'; protocol: ProtocolSpec; port: number }
  /** ... or it did not: lines go out as typed, without pacing. */
  | { kind: 'unrecognised'; port: number }
  | { kind: 'starttls-accepted' }
  | { kind: 'tls'; info: TlsInfo }
  /** -msg, -debug: a TLS handshake message, record or chunk of raw bytes passed. */
  | { kind: 'tls-trace'; event: TlsTraceEvent }
  /** A STARTTLS over TLS is only a line: TLS is never started inside TLS. */
  | { kind: 'nested-starttls' }
  /** The protocol's dialogue met something worth a warning, and goes on. */
  | { kind: 'dialogue-warning'; text: string };

export interface ConnectionObserver {
  /** A line went to the server: `shown` has secrets redacted; echo=false means log only. */
  sent(shown: string, by: 'user' | 'mailprobe', echo: boolean): void;
  /** Server lines as they arrive, when no session reads along (the dialogue's own). */
  lines(lines: ServerLine[]): void;
  event(event: ClientEvent): void;
}

/** For `check`, `load` and probes: nothing is shown. */
export const UNOBSERVED: ConnectionObserver = {
  sent: () => {},
  lines: () => {},
  event: () => {},
};
