// LDAP (RFC 4511) with StartTLS (RFC 4511 §4.14, RFC 4513 §3), as a table of data plus its
// dialogue. LDAP speaks BER messages, not lines, and the client speaks first: there is no
// greeting and no line session. mailprobe runs StartTLS (when asked), reads the RootDSE,
// shows it, and unbinds.
import type { ProtocolSpec } from '../types.js';
import { LdapFramer } from './framer.js';
import { readRootDse, unbind } from './rootDse.js';
import { isStartTlsGoAhead, ldapStartTls } from './starttls.js';

export const ldap: ProtocolSpec = {
  name: 'ldap',
  label: 'LDAP',
  defaultPort: 389,
  implicitTlsPort: 636,
  ports: [
    { port: 389, mode: 'starttls', services: ['ldap'] },
    { port: 636, mode: 'tls', services: ['ldaps'] },
  ],
  sessionNote: 'LDAP: no line session; mailprobe reads the RootDSE anonymously, shows it, and unbinds.',
  greets: false,
  quitCommand: () => '',
  farewell: (exchange) => unbind(exchange),
  closingDialogue: (exchange) => readRootDse(exchange),
  createFramer: () => new LdapFramer(),
  // No greeting to recognise: the server waits for the client.
  recognisesGreeting: () => false,
  // No line session, so nothing typed: no credentials to guard (a simple bind is not offered).
  typedCredentials: (line) => ({ shown: line, credentials: false, sasl: false }),
  startTlsName: 'ldap',
  replyStatus: (reply) => reply.last.shown ?? reply.last.text,
  stageOf: () => undefined,
  startTls: (exchange) => ldapStartTls(exchange),
  // Nothing to ask again over TLS here: the RootDSE read is the closing dialogue.
  afterTls: async () => undefined,
  isStartTlsCommand: () => false,
  isStartTlsGoAhead,
  isQuitCommand: () => false,
};
