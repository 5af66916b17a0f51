import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { Pop3Framer } from './framer.js';
import { pop3Capa, pop3StartTls } from './starttls.js';
import { pop3Sasl, pop3UserPass } from './auth.js';
import { continuationChallenge } from '../imap/auth.js';
import { buildCapabilities, keywordLine } from '../capabilities.js';
import { pop3Secret, recogniser, untaggedSasl } from '../credentials.js';
import { stageOfVerb } from '../stages.js';

export const pop3: ProtocolSpec = {
  name: 'pop3',
  label: 'POP3',
  defaultPort: 110,
  implicitTlsPort: 995,
  ports: [
    { port: 110, mode: 'starttls', services: ['pop3'] },
    { port: 995, mode: 'tls', services: ['pop3s'] },
  ],
  quitCommand: () => 'QUIT',
  createFramer: (options) => new Pop3Framer(undefined, options?.greeting ?? true),
  recognisesGreeting: (line) => /^\+OK\b/.test(line),
  typedCredentials: recogniser(untaggedSasl, pop3Secret),
  startTlsName: 'pop3',
  startTlsKeyword: 'STLS',
  offersPasswordLogin: (capabilities) => capabilities.keywords.has('USER'),
  replyStatus: (reply) => reply.last.text,
  stageOf: (command, reply) => stageOfVerb(command, verbOf(command), (reply.lines[0] ?? reply.last).text.startsWith('+OK')),
  startTls: (exchange) => pop3StartTls(exchange),
  afterTls: async (exchange) => (await pop3Capa(exchange)).capabilities,
  isStartTlsCommand: (line) => verbOf(line) === 'STLS',
  isStartTlsGoAhead: (reply) => reply.last.text.startsWith('+OK'),
  isQuitCommand: (line) => verbOf(line) === 'QUIT',
  capabilityCommand: () => 'CAPA',
  capabilitiesFrom: (command, reply) =>
    verbOf(command) === 'CAPA' && reply.lines[0]?.text.startsWith('+OK')
      ? buildCapabilities(reply.lines.slice(1, -1).map((line) => keywordLine(line.text)), 'SASL')
      : undefined,
  challengeOf: (line) => (line.text.startsWith('+OK') ? undefined : continuationChallenge(line.text)),
  sasl: pop3Sasl,
  passwordLogin: pop3UserPass,
  loginAllowed: (capabilities) => !capabilities || capabilities.keywords.size === 0 || capabilities.keywords.has('USER'),
};
