// FTP's control channel (RFC 959) with AUTH TLS (RFC 4217), as a table of data plus its
// dialogue. The session is the control channel alone: data connections (PASV, PORT) are
// not opened, so LIST and RETR get as far as their 1xx/4xx replies.
import { verbOf } from '../framerBase.js';
import { recogniser } from '../credentials.js';
import { stageOfVerb } from '../stages.js';
import type { ProtocolSpec, QuitStage } from '../types.js';
import { ftpSecret, ftpUserPass } from './auth.js';
import { AUTH_TLS, parseFeatures } from './features.js';
import { FtpFramer } from './framer.js';
import { isFtpGreeting } from './greeting.js';
import { replyCode } from './reply.js';
import { ftpAfterTls, ftpStartTls } from './starttls.js';

/** AUTH's arguments that ask for TLS (RFC 4217 §6 says TLS; older servers took TLS-C, SSL, TLS-P). */
const TLS_MECHANISMS = new Set(['TLS', 'TLS-C', 'SSL', 'TLS-P']);

const isAuthTls = (line: string): boolean => {
  const [verb, mechanism, ...rest] = line.trim().split(/\s+/);
  return verb.toUpperCase() === 'AUTH' && rest.length === 0 && TLS_MECHANISMS.has((mechanism ?? '').toUpperCase());
};

/** The --quit-after stage: FEAT is the capability request, USER (230 at once) or PASS the login. */
function stageOf(command: string, code: number): QuitStage | undefined {
  const verb = verbOf(command);
  if (command === '') return stageOfVerb(command, verb, code === 220);
  if (verb === 'FEAT') return stageOfVerb(command, 'CAPA', code === 211);
  if (verb === 'USER') return stageOfVerb(command, 'PASS', code === 230);
  if (verb === 'PASS') return stageOfVerb(command, 'PASS', code === 230 || code === 202);
  return undefined;
}

export const ftp: ProtocolSpec = {
  name: 'ftp',
  label: 'FTP',
  defaultPort: 21,
  implicitTlsPort: 990,
  ports: [
    { port: 21, mode: 'starttls', services: ['ftp'] },
    { port: 990, mode: 'tls', services: ['ftps'] },
  ],
  sessionNote: 'FTP: a session is the control channel only; no data connection (PASV, PORT) is opened.',
  quitCommand: () => 'QUIT',
  createFramer: () => new FtpFramer(),
  recognisesGreeting: isFtpGreeting,
  typedCredentials: recogniser(ftpSecret),
  startTlsName: 'ftp',
  startTlsKeyword: AUTH_TLS,
  replyStatus: (reply) => reply.last.text,
  stageOf: (command, reply) => stageOf(command, replyCode(reply)),
  startTls: (exchange) => ftpStartTls(exchange),
  afterTls: (exchange) => ftpAfterTls(exchange),
  isStartTlsCommand: isAuthTls,
  isStartTlsGoAhead: (reply) => replyCode(reply) === 234,
  isQuitCommand: (line) => verbOf(line) === 'QUIT',
  capabilityCommand: () => 'FEAT',
  capabilitiesFrom: (command, reply) => (verbOf(command) === 'FEAT' && replyCode(reply) === 211 ? parseFeatures(reply) : undefined),
  passwordLogin: ftpUserPass,
};
