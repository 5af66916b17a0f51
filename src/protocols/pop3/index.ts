import { verbOf } from '../framerBase.js';
import type { ProtocolSpec } from '../types.js';
import { Pop3Framer } from './framer.js';
import { pop3Capa, pop3StartTls } from './starttls.js';

export const pop3: ProtocolSpec = {
  name: 'pop3',
  label: 'POP3',
  defaultPort: 110,
  implicitTlsPort: 995,
  quitCommand: () => 'QUIT',
  createFramer: () => new Pop3Framer(),
  startTls: (exchange) => pop3StartTls(exchange),
  afterTls: async (exchange) => (await pop3Capa(exchange)).capabilities,
  isStartTlsCommand: (line) => verbOf(line) === 'STLS',
  isStartTlsGoAhead: (reply) => reply.last.text.startsWith('+OK'),
  isQuitCommand: (line) => verbOf(line) === 'QUIT',
};
