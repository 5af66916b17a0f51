// SMTP as a table of data plus its dialogue; LMTP reuses it with LHLO.
import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { parseEhloCapabilities } from './capabilities.js';
import { SmtpFramer } from './framer.js';
import { replyCode } from './reply.js';
import { hello, smtpStartTls } from './starttls.js';
import { smtpChallenge, smtpSasl } from './auth.js';
import { envelopeOf } from './transaction.js';
import { recogniser, untaggedSasl } from '../credentials.js';
import { stageOfVerb } from '../stages.js';

export function smtpFamily(lmtp: boolean): ProtocolSpec {
  const verb = lmtp ? 'LHLO' : 'EHLO';
  return {
    name: lmtp ? 'lmtp' : 'smtp',
    label: lmtp ? 'LMTP' : 'SMTP',
    defaultPort: lmtp ? 24 : 25,
    implicitTlsPort: lmtp ? undefined : 465,
    ports: lmtp
      ? [{ port: 24, mode: 'starttls', services: ['lmtp'] }]
      : [
          { port: 25, mode: 'starttls', services: ['smtp'] },
          { port: 587, mode: 'starttls', services: ['submission'] },
          { port: 465, mode: 'tls', services: ['submissions', 'smtps'] },
        ],
    repliesPerRecipient: lmtp || undefined,
    quitCommand: () => 'QUIT',
    createFramer: (options) => new SmtpFramer(lmtp, options?.greeting ?? true),
    // "220 host ESMTP ...": LMTP when the greeting says so (RFC 2033 servers usually do).
    recognisesGreeting: (line) => /^220[ -]/.test(line) && /\bLMTP\b/i.test(line) === lmtp,
    typedCredentials: recogniser(untaggedSasl),
    startTlsName: lmtp ? 'lmtp' : 'smtp',
    startTlsKeyword: 'STARTTLS',
    replyStatus: (reply) => reply.last.text,
    stageOf: (command, reply) => {
      const code = replyCode(reply);
      return stageOfVerb(command, verbOf(command), code >= 200 && code < 300);
    },
    submission: 'data',
    envelopeOf,
    challengesAreSasl: true,
    startTls: (exchange, context) => smtpStartTls(exchange, verb, context),
    afterTls: async (exchange, context) => parseEhloCapabilities(await hello(exchange, verb, context)),
    isStartTlsCommand: (line) => line.trim().toUpperCase() === 'STARTTLS',
    isStartTlsGoAhead: (reply) => replyCode(reply) === 220,
    isQuitCommand: (line) => verbOf(line) === 'QUIT',
    capabilityCommand: (context) => `${verb} ${context.clientName}`,
    capabilitiesFrom: (command, reply) =>
      (verbOf(command) === 'EHLO' || verbOf(command) === 'LHLO') && replyCode(reply) === 250 ? parseEhloCapabilities(reply) : undefined,
    challengeOf: (line) => smtpChallenge(line.text),
    sasl: smtpSasl,
  };
}

export const smtp = smtpFamily(false);
