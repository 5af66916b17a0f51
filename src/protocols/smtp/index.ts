// SMTP as a table of data plus its dialogue; LMTP reuses it with LHLO.
import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { parseEhloCapabilities } from './capabilities.js';
import { SmtpFramer } from './framer.js';
import { replyCode } from './reply.js';
import { hello, smtpStartTls } from './starttls.js';
import { smtpChallenge, smtpSasl } from './auth.js';

export function smtpFamily(lmtp: boolean): ProtocolSpec {
  const verb = lmtp ? 'LHLO' : 'EHLO';
  return {
    name: lmtp ? 'lmtp' : 'smtp',
    label: lmtp ? 'LMTP' : 'SMTP',
    defaultPort: lmtp ? 24 : 25,
    implicitTlsPort: lmtp ? undefined : 465,
    quitCommand: () => 'QUIT',
    createFramer: () => new SmtpFramer(lmtp),
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
