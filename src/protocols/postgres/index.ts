// PostgreSQL: TLS by SSLRequest (the STARTTLS of `-starttls postgres`), or direct TLS with
// ALPN "postgresql" (PostgreSQL 17, -tls). The server does not greet, and there is no line
// session: after TLS mailprobe shows the report and, with -name USER, what the server
// answers a StartupMessage for USER (its authentication request or its refusal).
import type { ProtocolSpec, TypedCredentials } from '../types.js';
import { PostgresFramer } from './framer.js';
import { isSslAccepted, postgresStartTls } from './starttls.js';
import { postgresFarewell, postgresStartup } from './startup.js';

const noCredentials = (line: string): TypedCredentials => ({ shown: line, credentials: false, sasl: false });

export const postgres: ProtocolSpec = {
  name: 'postgres',
  label: 'PostgreSQL',
  defaultPort: 5432,
  ports: [{ port: 5432, mode: 'starttls', services: ['postgresql'] }],
  greets: false,
  implicitTlsAlpn: ['postgresql'],
  // Nothing is sent as a line; the goodbye is a message (or nothing), see startup.ts.
  quitCommand: () => '',
  farewell: (exchange) => postgresFarewell(exchange),
  closingDialogue: (exchange, context) => postgresStartup(exchange, context),
  createFramer: () => new PostgresFramer(),
  // No greeting to recognise: the server waits for the client.
  recognisesGreeting: () => false,
  // No line is typed: a password is never sent.
  typedCredentials: noCredentials,
  startTlsName: 'postgres',
  replyStatus: (reply) => reply.last.shown ?? reply.last.text,
  stageOf: () => undefined,
  startTls: (exchange) => postgresStartTls(exchange),
  afterTls: () => Promise.resolve(undefined),
  isStartTlsCommand: () => false,
  isStartTlsGoAhead: isSslAccepted,
  isQuitCommand: () => false,
};
