// NNTP (RFC 3977) with STARTTLS (RFC 4642) and AUTHINFO (RFC 4643), as a table of data
// plus its dialogue.
import { verbOf } from '../framerBase.js';
import type { Capabilities, ProtocolSpec } from '../types.js';
import { NntpFramer } from './framer.js';
import { replyCode, statusLine } from './reply.js';
import { nntpCapabilities, nntpStartTls, parseCapabilities } from './starttls.js';
import { nntpChallenge, nntpSasl, nntpUserPass } from './auth.js';
import { nntpSecret, recogniser } from '../credentials.js';
import { stageOfVerb } from '../stages.js';

/** AUTHINFO USER is offered when the AUTHINFO capability lists USER (RFC 4643 §2.2). */
const userPassOffered = (capabilities: Capabilities) => capabilities.params.get('AUTHINFO')?.includes('USER') ?? false;

/** The --quit-after stage: CAPABILITIES is the capability request, a 281 the login. */
function stageOf(command: string, code: number) {
  const verb = verbOf(command);
  if (verb === 'CAPABILITIES') return stageOfVerb(command, 'CAPA', code === 101);
  if (verb === 'AUTHINFO') return stageOfVerb(command, 'AUTH', code === 281);
  return stageOfVerb(command, verb, code >= 200 && code < 300);
}

export const nntp: ProtocolSpec = {
  name: 'nntp',
  label: 'NNTP',
  defaultPort: 119,
  implicitTlsPort: 563,
  ports: [
    { port: 119, mode: 'starttls', services: ['nntp'] },
    { port: 563, mode: 'tls', services: ['nntps'] },
  ],
  quitCommand: () => 'QUIT',
  createFramer: (options) => new NntpFramer(undefined, options?.greeting ?? true),
  // "200 news.example.com InterNetNews NNRP server INN 2.6.4 ready (posting ok)".
  recognisesGreeting: (line) => /^20[01](?: |$)/.test(line),
  typedCredentials: recogniser(nntpSecret),
  startTlsName: 'nntp',
  startTlsKeyword: 'STARTTLS',
  offersPasswordLogin: userPassOffered,
  replyStatus: statusLine,
  stageOf: (command, reply) => stageOf(command, replyCode(reply)),
  startTls: (exchange) => nntpStartTls(exchange),
  afterTls: async (exchange) => (await nntpCapabilities(exchange)).capabilities,
  isStartTlsCommand: (line) => verbOf(line) === 'STARTTLS',
  isStartTlsGoAhead: (reply) => replyCode(reply) === 382,
  isQuitCommand: (line) => verbOf(line) === 'QUIT',
  capabilityCommand: () => 'CAPABILITIES',
  capabilitiesFrom: (command, reply) =>
    verbOf(command) === 'CAPABILITIES' && replyCode(reply) === 101 ? parseCapabilities(reply) : undefined,
  challengeOf: (line) => nntpChallenge(line.text),
  sasl: nntpSasl,
  passwordLogin: nntpUserPass,
  loginAllowed: (capabilities) => !capabilities || capabilities.keywords.size === 0 || userPassOffered(capabilities),
};
