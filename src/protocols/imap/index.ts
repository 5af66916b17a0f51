import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { ImapFramer } from './framer.js';
import { parseImapLine } from './response.js';
import { imapCapability, imapStartTls } from './starttls.js';

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
};
