// Credentials in IRC lines the user types: PASS (server password), OPER (operator name and
// password), SASL over AUTHENTICATE (IRCv3 sasl-3.1), and NickServ IDENTIFY.
import { REDACTED } from '../credentials.js';
import type { TypedCredentials } from '../types.js';

/**
 * Mechanism names that could also be base64: any other AUTHENTICATE argument without "-"
 * or "_" (which base64 never contains) is taken for a SASL response and redacted.
 */
const PLAIN_MECHANISMS = new Set(['PLAIN', 'EXTERNAL', 'ANONYMOUS', 'LOGIN', 'GSSAPI', 'OAUTHBEARER', 'XOAUTH2']);

export function ircCredentials(line: string): TypedCredentials | undefined {
  const words = line.trim().split(/\s+/);
  const verb = (words[0] ?? '').toUpperCase();
  if (verb === 'PASS' && words.length > 1) return { shown: `PASS ${REDACTED}`, credentials: true, sasl: false };
  if (verb === 'OPER' && words.length > 2) return { shown: `OPER ${words[1]} ${REDACTED}`, credentials: true, sasl: false };
  if (verb === 'AUTHENTICATE' && words.length > 1) {
    const argument = words[1];
    if (argument === '*' || argument === '+') return { shown: line, credentials: false, sasl: false };
    const mechanism = /^[A-Za-z0-9]+[-_][A-Za-z0-9_-]*$/.test(argument) || PLAIN_MECHANISMS.has(argument.toUpperCase());
    if (mechanism && words.length === 2) return { shown: line, credentials: false, sasl: true };
    // Not IRC (its AUTHENTICATE has no initial response), but other protocols' in raw mode.
    if (mechanism) return { shown: `AUTHENTICATE ${argument} ${REDACTED}`, credentials: true, sasl: true };
    return { shown: `AUTHENTICATE ${REDACTED}`, credentials: true, sasl: false };
  }
  const identify = /^((?:PRIVMSG\s+NickServ\S*\s+:?)|(?:NS|NICKSERV)\s+)(IDENTIFY|REGISTER)\s+\S/i.exec(line.trim());
  if (identify) return { shown: `${identify[1]}${identify[2]} ${REDACTED}`, credentials: true, sasl: false };
  return undefined;
}
