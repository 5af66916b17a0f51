// What a session needs to know, already validated by the CLI.
import type { ModeName } from '../protocols/registry.js';
import type { ProtocolSpec } from '../protocols/types.js';
import type { TlsSettings } from '../transport/tlsOptions.js';
import type { Route } from '../transport/route/types.js';

import type { QuitStage } from '../protocols/types.js';

export { QUIT_STAGES, type QuitStage } from '../protocols/types.js';

export interface SessionOptions {
  host: string;
  port: number;
  family?: 4 | 6;
  /** How the bytes get there (proxy, Unix socket, source address, PROXY header); direct TCP when absent. */
  route?: Route;
  mode: ModeName;
  protocol: ProtocolSpec;
  tls: TlsSettings;
  /** EHLO/LHLO name; undefined means "work it out from this machine". */
  clientName?: string;
  /** -xmpphost: the XMPP domain of the stream header (else -name, else the host). */
  xmppHost?: string;
  quiet: boolean;
  brief: boolean;
  showCerts: boolean;
  verifyReturnError: boolean;
  lineEnding: '\r\n' | '\n';
  ignEof: boolean;
  noEhlo: boolean;
  timeoutMs: number;
  /** No helper commands: every line goes to the server as typed. */
  raw: boolean;
  allowPlaintextAuth: boolean;
  /** Send credentials even when the certificate did not verify. */
  insecure: boolean;
  passFile?: string;
  /** Transcript file (--log). */
  log?: string;
  /** Lines (and expectations) from this file instead of standard input; "-" is stdin. */
  script?: string;
  /** End the session politely once this stage is done (as swaks --quit-after). */
  quitAfter?: QuitStage;
  /** -reconnect: five more connections resuming the TLS session, each said resumed or not. */
  reconnect?: boolean;
}

/** One server to try, for --mx and --srv: its options, and a label for notes. */
export interface ServerTarget {
  options: SessionOptions;
  /** "mx1.example.org [192.0.2.25]:25". */
  label: string;
}
