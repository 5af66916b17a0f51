// XMPP SASL (RFC 6120 §6.4): <auth mechanism='M'>initial response</auth> (an empty one is
// "="), <challenge>, <response>, <success> (maybe with additional data), <failure>, and
// <abort/> to cancel. And what a typed line carries: the base64 of <auth> and <response>
// is a secret (redacted, guarded); so is a legacy iq:auth <password> (XEP-0078).
import { REDACTED } from '../credentials.js';
import type { SaslProfile, ServerLine, TypedCredentials } from '../types.js';
import { lastStanza } from './elements.js';
import { SASL_NS } from './framer.js';
import { localName } from './tokenizer.js';

export const xmppSasl: SaslProfile = {
  command: (mechanism, initial) =>
    initial === undefined
      ? `<auth xmlns='${SASL_NS}' mechanism='${mechanism}'/>`
      : `<auth xmlns='${SASL_NS}' mechanism='${mechanism}'>${initial === '' ? '=' : initial}</auth>`,
  acceptsInitialResponse: () => true,
  outcome(reply) {
    const stanza = lastStanza(reply);
    const name = stanza && stanza.attributes.get('xmlns') === SASL_NS ? localName(stanza.name) : '';
    if (name === 'challenge') return { kind: 'challenge', base64: stanza?.text === '=' ? '' : (stanza?.text ?? '') };
    if (name === 'success') return stanza?.text ? { kind: 'success', base64: stanza.text === '=' ? '' : stanza.text } : { kind: 'success' };
    return { kind: 'failure' };
  },
  response: (base64) => (base64 === '' ? `<response xmlns='${SASL_NS}'/>` : `<response xmlns='${SASL_NS}'>${base64}</response>`),
  cancel: `<abort xmlns='${SASL_NS}'/>`,
};

/** The base64 of a <challenge> line (a leaf: its one line holds the whole element). */
export function xmppChallenge(line: ServerLine): string | undefined {
  const match = /^<challenge\b[^>]*?(?:\/>|>([^<]*)<\/challenge>)$/.exec(line.text.trim());
  if (!match) return undefined;
  const data = (match[1] ?? '').trim();
  return data === '=' ? '' : data;
}

/** `<auth ...>SECRET</auth>`, `<response ...>SECRET</response>`, `<password>SECRET</password>`. */
const SECRET_ELEMENT = /<((?:[\w.-]+:)?(auth|response|password|digest))\b([^>]*)>([^<]*)<\/\1\s*>/;

export function xmppCredentials(line: string): TypedCredentials | undefined {
  const match = SECRET_ELEMENT.exec(line);
  const start = /^\s*<(?:[\w.-]+:)?auth\b[^>]*\bmechanism\s*=/.test(line);
  if (!match) return start ? { shown: line, credentials: false, sasl: true } : undefined;
  const content = match[4].trim();
  const isAuth = match[2] === 'auth';
  // "=" is an empty initial response: nothing secret in it.
  if (content === '' || (isAuth && content === '=')) return { shown: line, credentials: false, sasl: isAuth };
  const at = match.index + match[0].indexOf('>') + 1;
  const shown = line.slice(0, at) + REDACTED + line.slice(at + match[4].length);
  return { shown, credentials: true, sasl: isAuth };
}
