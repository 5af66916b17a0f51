// No protocol known (an unusual port, -tls or -plain, no -proto, and a greeting no protocol
// recognises): lines are shown as they come, and input is sent without waiting for replies.
import { FramerBase, type LineDecision } from '../framerBase.js';
import { startTlsUnavailable } from '../../errors.js';
import type { Framer, ProtocolSpec, Tone } from '../types.js';
import { imapLogin, nntpSecret, pop3Secret, recogniser, taggedSasl, untaggedSasl } from '../credentials.js';
import { ircCredentials } from '../irc/credentials.js';
import { xmppCredentials } from '../xmpp/auth.js';

class RawFramer extends FramerBase implements Framer {
  sent(): number {
    return 0;
  }

  protected toneOf(): Tone {
    return 'info';
  }

  protected decide(): LineDecision {
    return { tone: 'info', final: false };
  }
}

export const raw: ProtocolSpec = {
  name: 'raw',
  label: 'raw',
  defaultPort: 0,
  ports: [],
  quitCommand: () => '',
  createFramer: () => new RawFramer(),
  recognisesGreeting: () => false,
  // No protocol known: every protocol's credential commands are guarded and redacted.
  typedCredentials: recogniser(ircCredentials, xmppCredentials, untaggedSasl, taggedSasl, imapLogin, pop3Secret, nntpSecret),
  replyStatus: (reply) => reply.last.text,
  stageOf: () => undefined,
  startTls: () => Promise.reject(startTlsUnavailable('STARTTLS needs a protocol: give -starttls smtp|lmtp|imap|pop3|sieve|nntp')),
  afterTls: () => Promise.resolve(undefined),
  isStartTlsCommand: () => false,
  isStartTlsGoAhead: () => false,
  isQuitCommand: () => false,
};
