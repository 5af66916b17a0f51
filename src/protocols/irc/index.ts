import { verbOf } from '../framerBase.js';
import { recogniser } from '../credentials.js';
import type { ProtocolSpec } from '../types.js';
import { ircCredentials } from './credentials.js';
import { IrcFramer, RPL_STARTTLS } from './framer.js';
import { parseIrc } from './message.js';
import { ircAfterTls, ircStartTls } from './starttls.js';

export const irc: ProtocolSpec = {
  name: 'irc',
  label: 'IRC',
  defaultPort: 6667,
  implicitTlsPort: 6697,
  // NOTICEs and PINGs come unasked at any time; only stray replies (670 …) count before STARTTLS.
  unpromptedLines: true,
  // IRC has no greeting: many servers open with a NOTICE ("*** Looking up your hostname"),
  // but one that looks nothing up (InspIRCd with resolvehostnames="no") says nothing until
  // the client speaks, and waiting for a first line would wait until -timeout.
  greets: false,
  ports: [
    { port: 6667, mode: 'starttls', services: ['irc'] },
    { port: 6697, mode: 'tls', services: ['ircs'] },
  ],
  quitCommand: () => 'QUIT',
  createFramer: (options) => new IrcFramer(undefined, options?.greeting ?? true),
  // What IRC servers send first: a server NOTICE ("*** Looking up your hostname"), the old
  // "NOTICE AUTH", or a PING cookie.
  recognisesGreeting: (line) => /^(?::\S+ +NOTICE +\S+ +:|NOTICE +(?:AUTH|\*) +:|PING +:?\S)/i.test(line),
  typedCredentials: recogniser(ircCredentials),
  startTlsName: 'irc',
  startTlsKeyword: 'TLS',
  // The status is the line without its prefix: "670 * :STARTTLS successful", "ERROR :bye".
  replyStatus: (reply) => {
    const { command, params } = parseIrc(reply.last.text);
    return [command, ...params].join(' ');
  },
  stageOf: (command) => (command === '' ? 'banner' : undefined),
  startTls: (exchange) => ircStartTls(exchange),
  afterTls: (exchange) => ircAfterTls(exchange),
  isStartTlsCommand: (line) => verbOf(line) === 'STARTTLS',
  isStartTlsGoAhead: (reply) => parseIrc(reply.last.text).command === RPL_STARTTLS,
  isQuitCommand: (line) => verbOf(line) === 'QUIT',
};
