// SMTP AUTH (RFC 4954): "AUTH MECH [initial-response]" ("=" for an empty one), 334
// challenges, 235 on success, 4xx/5xx on failure, "*" to cancel.
import type { SaslProfile } from '../types.js';
import { parseReplyLine } from './reply.js';

export const smtpSasl: SaslProfile = {
  command: (mechanism, initial) => `AUTH ${mechanism}${initial === undefined ? '' : ` ${initial === '' ? '=' : initial}`}`,
  acceptsInitialResponse: () => true,
  outcome(reply) {
    const parts = parseReplyLine(reply.last.text);
    if (parts?.code === 334) return { kind: 'challenge', base64: parts.text.trim() };
    if (parts && parts.code >= 200 && parts.code < 300) return { kind: 'success' };
    return { kind: 'failure' };
  },
  response: (base64) => base64,
  cancel: '*',
};

/** "334 VXNlcm5hbWU6" → "VXNlcm5hbWU6". */
export function smtpChallenge(text: string): string | undefined {
  const parts = parseReplyLine(text);
  return parts?.code === 334 ? parts.text.trim() : undefined;
}
