// MySQL and MariaDB: TLS by an SSL request after the server's handshake packet
// (`-starttls mysql`). There is no line session: mailprobe shows the handshake (server
// version, connection id, whether TLS is offered), upgrades, shows the report and closes
// without authenticating.
import type { ProtocolSpec, TypedCredentials } from '../types.js';
import { MysqlFramer } from './framer.js';
import { mysqlClosingDialogue, mysqlStartTls } from './starttls.js';

const noCredentials = (line: string): TypedCredentials => ({ shown: line, credentials: false, sasl: false });

export const mysql: ProtocolSpec = {
  name: 'mysql',
  label: 'MySQL',
  defaultPort: 3306,
  ports: [{ port: 3306, mode: 'starttls', services: ['mysql'] }],
  quitCommand: () => '',
  // Closing the socket is the clean end before authentication (COM_QUIT needs a session).
  farewell: () => {},
  closingDialogue: (exchange) => mysqlClosingDialogue(exchange),
  createFramer: (options) => new MysqlFramer(options?.greeting ?? true),
  // The handshake starts with its length (3 bytes, little-endian, under 256 for any real
  // one), sequence id 0, then protocol version 10, which is "\n": as a text line it is the
  // four header bytes, "L\0\0\0". No text protocol's greeting looks like that.
  recognisesGreeting: (line) => /^[\x20-\xff]\x00\x00\x00$/.test(line),
  typedCredentials: noCredentials,
  startTlsName: 'mysql',
  replyStatus: (reply) => reply.last.shown ?? reply.last.text,
  stageOf: () => undefined,
  startTls: (exchange) => mysqlStartTls(exchange),
  afterTls: () => Promise.resolve(undefined),
  isStartTlsCommand: () => false,
  // The SSL request is owed no reply: TLS starts as it goes out.
  isStartTlsGoAhead: () => false,
  isQuitCommand: () => false,
};
