import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { ImapFramer } from './framer.js';
import { parseImapLine } from './response.js';
import { imapCapabilities, imapCapability, imapStartTls } from './starttls.js';
import { continuationChallenge, imapLogin, imapSasl } from './auth.js';
import { imapLogin as typedLogin, recogniser, taggedSasl } from '../credentials.js';
import { stageOfVerb } from '../stages.js';

/** IMAP commands (RFC 3501 and common extensions) that get a tag when typed without one. */
const IMAP_COMMANDS = new Set(
  (
    'CAPABILITY NOOP LOGOUT STARTTLS AUTHENTICATE LOGIN SELECT EXAMINE CREATE DELETE RENAME SUBSCRIBE ' +
    'UNSUBSCRIBE LIST LSUB STATUS APPEND CHECK CLOSE EXPUNGE SEARCH FETCH STORE COPY MOVE UID IDLE ' +
    'NAMESPACE ID ENABLE UNSELECT GETQUOTA GETQUOTAROOT SETQUOTA GETACL SETACL DELETEACL MYRIGHTS ' +
    'LISTRIGHTS COMPRESS GETMETADATA SETMETADATA SORT THREAD ESEARCH XLIST REPLACE'
  ).split(' '),
);

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
  ports: [
    { port: 143, mode: 'starttls', services: ['imap', 'imap2'] },
    { port: 993, mode: 'tls', services: ['imaps'] },
  ],
  quitCommand: (context) => `${context.nextTag()} LOGOUT`,
  createFramer: (options) => new ImapFramer(undefined, options?.greeting ?? true),
  recognisesGreeting: (line) => /^\* (OK|PREAUTH)\b/i.test(line),
  typedCredentials: recogniser(taggedSasl, typedLogin),
  startTlsName: 'imap',
  startTlsKeyword: 'STARTTLS',
  offersPasswordLogin: (capabilities) => !capabilities.keywords.has('LOGINDISABLED'),
  tagsCommands: IMAP_COMMANDS,
  synchronisingLiterals: true,
  completionTag: (text) => {
    const parts = parseImapLine(text);
    return parts.kind === 'tagged' ? parts.tag : undefined;
  },
  replyStatus: (reply) => {
    const parts = parseImapLine(reply.last.text);
    return parts.kind === 'continuation' ? `+ ${parts.rest}` : `${parts.status ?? ''} ${parts.rest}`.trim();
  },
  stageOf: (command, reply) => {
    const parts = parseImapLine(reply.last.text);
    const ok = command === '' ? parts.status === 'OK' || parts.status === 'PREAUTH' : parts.kind === 'tagged' && parts.status === 'OK';
    return stageOfVerb(command, imapVerb(command), ok);
  },
  submission: 'append',
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
