// Recognising credentials in lines the user types, so the cleartext guard and redaction
// follow each protocol's grammar: SASL starts (with or without an initial response), IMAP
// LOGIN (atoms, quoted strings or literals), POP3 PASS and APOP, NNTP AUTHINFO. Each protocol's folder
// picks the rules that apply to it; with no protocol known, all of them apply.
import { literalLength } from './literal.js';
import type { TypedCredentials } from './types.js';

export const REDACTED = '[redacted]';

const NONE = (line: string): TypedCredentials => ({ shown: line, credentials: false, sasl: false });

function split(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** `[tag] AUTH|AUTHENTICATE MECH [initial-response]`: a SASL start. */
export function saslStart(line: string, tagged: boolean): TypedCredentials | undefined {
  const words = split(line);
  const at = tagged ? 1 : 0;
  const verb = (words[at] ?? '').toUpperCase();
  if (verb !== 'AUTH' && verb !== 'AUTHENTICATE') return undefined;
  const initial = words.length > at + 2;
  // An initial response given as a literal ({n+}) follows on the next line.
  const continues = initial && literalLength(words[words.length - 1]) !== undefined;
  return {
    shown: initial ? `${words.slice(0, at + 2).join(' ')} ${REDACTED}` : line,
    credentials: initial,
    sasl: true,
    continues,
  };
}

/** IMAP `tag LOGIN user password`, whatever the strings are written as. */
export function imapLogin(line: string): TypedCredentials | undefined {
  const words = split(line);
  if ((words[1] ?? '').toUpperCase() !== 'LOGIN' || words.length < 3) return undefined;
  const continues = literalLength(line.trimEnd()) !== undefined;
  // The user name stays visible when it is a plain atom followed by the password.
  const keepUser = !continues && words.length >= 4 && !/^["{]/.test(words[2]);
  return { shown: `${words.slice(0, keepUser ? 3 : 2).join(' ')} ${REDACTED}`, credentials: true, sasl: false, continues };
}

/** POP3 `PASS secret` and `APOP user digest`. */
export function pop3Secret(line: string): TypedCredentials | undefined {
  const words = split(line);
  const verb = (words[0] ?? '').toUpperCase();
  if (verb === 'PASS' && words.length > 1) return { shown: `PASS ${REDACTED}`, credentials: true, sasl: false };
  if (verb === 'APOP' && words.length > 2) return { shown: `APOP ${words[1]} ${REDACTED}`, credentials: true, sasl: false };
  return undefined;
}

/** NNTP `AUTHINFO PASS secret` and `AUTHINFO SASL MECH [initial-response]` (RFC 4643). */
export function nntpSecret(line: string): TypedCredentials | undefined {
  const words = split(line);
  if ((words[0] ?? '').toUpperCase() !== 'AUTHINFO') return undefined;
  const sub = (words[1] ?? '').toUpperCase();
  if (sub === 'PASS' && words.length > 2) return { shown: `${words.slice(0, 2).join(' ')} ${REDACTED}`, credentials: true, sasl: false };
  if (sub !== 'SASL') return undefined;
  const initial = words.length > 3;
  return { shown: initial ? `${words.slice(0, 3).join(' ')} ${REDACTED}` : line, credentials: initial, sasl: true };
}

type Rule = (line: string) => TypedCredentials | undefined;

/** The first rule that recognises the line, else nothing secret. */
export function recogniser(...rules: Rule[]): (line: string) => TypedCredentials {
  return (line) => {
    for (const rule of rules) {
      const found = rule(line);
      if (found) return found;
    }
    return NONE(line);
  };
}

export const untaggedSasl: Rule = (line) => saslStart(line, false);
export const taggedSasl: Rule = (line) => saslStart(line, true);
