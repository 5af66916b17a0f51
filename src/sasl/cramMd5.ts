// CRAM-MD5 (RFC 2195 §2): the answer is "user SP hex(HMAC-MD5(password, challenge))".
import { createHmac } from 'node:crypto';
import { SaslError, type Credentials, type SaslClient, type SaslStep } from './types.js';

// RFC 2195 asks for an RFC 822 msg-id ("<1896.697170952@postoffice.reston.mci.net>"), but
// servers vary; any non-empty printable ASCII is accepted, nothing else is signed.
const PRINTABLE = /^[\x20-\x7e]+$/;

export function createCramMd5Client(credentials: Credentials): SaslClient {
  if (credentials.authzid) throw new SaslError('INVALID_CREDENTIALS', 'CRAM-MD5 cannot carry an authorization identity (authzid)');
  let answered = false;

  return {
    mechanism: 'CRAM-MD5',
    sensitive: true,
    initialResponse: () => undefined,
    respond(challenge: Buffer): SaslStep {
      if (answered) throw new SaslError('UNEXPECTED_CHALLENGE', 'the server sent a second CRAM-MD5 challenge');
      const text = challenge.toString('latin1');
      if (!PRINTABLE.test(text)) {
        throw new SaslError('MALFORMED_CHALLENGE', challenge.length === 0 ? 'the CRAM-MD5 challenge is empty' : 'the CRAM-MD5 challenge is not printable text');
      }
      answered = true;
      const digest = createHmac('md5', Buffer.from(credentials.secret, 'utf8')).update(challenge).digest('hex');
      return { response: Buffer.from(`${credentials.user} ${digest}`, 'utf8'), done: true };
    },
  };
}
