import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { SieveFramer } from './framer.js';
import { sieveStatus } from './response.js';
import { sieveCapabilities, sieveCapabilitiesAfterTls, sieveStartTls } from './starttls.js';
import { sieveChallenge, sieveSasl } from './auth.js';
import { recogniser, untaggedSasl } from '../credentials.js';
import { stageOfVerb } from '../stages.js';

export const sieve: ProtocolSpec = {
  name: 'sieve',
  label: 'ManageSieve',
  defaultPort: 4190,
  ports: [{ port: 4190, mode: 'starttls', services: ['sieve', 'managesieve'] }],
  quitCommand: () => 'LOGOUT',
  createFramer: (options) => new SieveFramer(undefined, options?.greeting ?? true),
  // The greeting is the capability list (RFC 5804 §1.7): "IMPLEMENTATION" "...", "SASL" "...".
  recognisesGreeting: (line) => /^"(IMPLEMENTATION|SASL|SIEVE|STARTTLS|VERSION|NOTIFY|MAXREDIRECTS|OWNER|LANGUAGE)"/i.test(line),
  typedCredentials: recogniser(untaggedSasl),
  startTlsName: 'sieve',
  startTlsKeyword: 'STARTTLS',
  replyStatus: (reply) => reply.last.text,
  stageOf: (command, reply) => stageOfVerb(command, verbOf(command), sieveStatus(reply.last.text) === 'OK'),
  startTls: (exchange) => sieveStartTls(exchange),
  afterTls: (exchange) => sieveCapabilitiesAfterTls(exchange),
  // After the handshake the server speaks first, so the capabilities are read even with -no_ehlo.
  readsCapabilitiesUnasked: true,
  isStartTlsCommand: (line) => verbOf(line) === 'STARTTLS',
  isStartTlsGoAhead: (reply) => sieveStatus(reply.last.text) === 'OK',
  isQuitCommand: (line) => verbOf(line) === 'LOGOUT',
  capabilityCommand: () => 'CAPABILITY',
  capabilitiesFrom: (command, reply) =>
    (verbOf(command) === 'CAPABILITY' || verbOf(command) === 'STARTTLS') && sieveStatus(reply.last.text) === 'OK'
      ? sieveCapabilities(reply)
      : undefined,
  challengeOf: (line) => (line.tone === 'intermediate' ? sieveChallenge(line.text) : undefined),
  sasl: sieveSasl,
};
