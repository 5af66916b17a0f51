import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { ImapFramer } from './framer.js';
import { parseImapLine } from './response.js';
import { imapCapabilities, imapCapability, imapStartTls } from './starttls.js';
import { continuationChallenge, imapLogin, imapSasl } from './auth.js';

/** The IMAP verb of a line: the word after the tag. */
function imapVerb(line: string): string {
  const words = line.trim().split(/\s+/);
  return (words[1] ?? '').toUpperCase();
}

export const imap: ProtocolSpec = {
  name: 'imap',
  label: 'IMAP',
  defaultPort: 143,
  implicitTlsPort: 993,
  quitCommand: (context) => `${context.nextTag()} LOGOUT`,
  createFramer: () => new ImapFramer(),
  startTls: imapStartTls,
  afterTls: (exchange, context) => imapCapability(exchange, context.nextTag()),
  isStartTlsCommand: (line) => imapVerb(line) === 'STARTTLS' || verbOf(line) === 'STARTTLS',
  isStartTlsGoAhead: (reply) => {
    const parts = parseImapLine(reply.last.text);
    return parts.kind === 'tagged' && parts.status === 'OK';
  },
  isQuitCommand: (line) => imapVerb(line) === 'LOGOUT' || verbOf(line) === 'LOGOUT',
  capabilityCommand: (context) => `${context.nextTag()} CAPABILITY`,
  // CAPABILITY answers, and OKs that carry [CAPABILITY ...] (LOGIN, AUTHENTICATE).
  capabilitiesFrom: (_command, reply) => {
    const found = imapCapabilities(reply);
    return found.keywords.size > 0 ? found : undefined;
  },
  challengeOf: (line) => continuationChallenge(line.text),
  sasl: imapSasl,
  passwordLogin: imapLogin,
  loginAllowed: (capabilities) => !capabilities?.keywords.has('LOGINDISABLED'),
};
