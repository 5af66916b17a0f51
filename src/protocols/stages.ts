// swaks' --quit-after stages (connect, banner, tls, ehlo, auth, mail, rcpt, data), from the
// verb of the command a successful reply answered; '' is the greeting.
import type { QuitStage } from './types.js';

const BY_VERB: Record<string, QuitStage> = {
  EHLO: 'ehlo',
  LHLO: 'ehlo',
  HELO: 'ehlo',
  CAPABILITY: 'ehlo',
  CAPA: 'ehlo',
  AUTH: 'auth',
  AUTHENTICATE: 'auth',
  LOGIN: 'auth',
  PASS: 'auth',
  MAIL: 'mail',
  RCPT: 'rcpt',
};

export function stageOfVerb(command: string, verb: string, ok: boolean): QuitStage | undefined {
  if (!ok) return undefined;
  if (command === '') return 'banner';
  if (command === '.') return 'data';
  return BY_VERB[verb.toUpperCase()];
}
