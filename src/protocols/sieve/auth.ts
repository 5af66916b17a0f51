// ManageSieve AUTHENTICATE (RFC 5804 §2.1): challenges and responses are strings; the
// final OK may carry the server's last SASL data as (SASL "...").
import type { SaslProfile } from '../types.js';
import { quotedStrings, sieveStatus } from './response.js';

export const sieveSasl: SaslProfile = {
  command: (mechanism, initial) => `AUTHENTICATE "${mechanism}"${initial === undefined ? '' : ` "${initial}"`}`,
  acceptsInitialResponse: () => true,
  outcome(reply) {
    const text = reply.last.text;
    const status = sieveStatus(text);
    if (status === 'OK') {
      const final = /\(SASL "([^"]*)"\)/i.exec(text);
      return { kind: 'success', base64: final?.[1] };
    }
    if (status) return { kind: 'failure' };
    return { kind: 'challenge', base64: quotedStrings(text)[0] ?? '' };
  },
  response: (base64) => `"${base64}"`,
  cancel: '"*"',
};

export function sieveChallenge(text: string): string | undefined {
  return /^"([A-Za-z0-9+/=]*)"$/.exec(text)?.[1];
}
