// PLAIN (RFC 4616 §2): one message, authzid NUL authcid NUL passwd, in UTF-8. The NULs are
// the only separators, so any other character (@, digits, non-ASCII) goes through as is.
import { SaslError, type Credentials, type SaslClient, type SaslStep } from './types.js';

export function createPlainClient(credentials: Credentials): SaslClient {
  for (const [field, value] of [['user', credentials.user], ['password', credentials.secret], ['authzid', credentials.authzid ?? '']]) {
    // A NUL inside a field would move the separators and send different credentials.
    if (value.includes('\0')) throw new SaslError('INVALID_CREDENTIALS', `PLAIN cannot carry a NUL byte in the ${field}`);
  }
  const message = Buffer.from(`${credentials.authzid ?? ''}\0${credentials.user}\0${credentials.secret}`, 'utf8');
  let sent = false;

  const send = (): Buffer => {
    sent = true;
    return message;
  };

  return {
    mechanism: 'PLAIN',
    sensitive: true,
    initialResponse: send,
    respond(challenge: Buffer): SaslStep {
      if (sent) throw new SaslError('UNEXPECTED_CHALLENGE', 'the server sent a challenge after the PLAIN credentials');
      // Without an initial response the server asks with an empty challenge (RFC 4422 §5).
      if (challenge.length > 0) throw new SaslError('MALFORMED_CHALLENGE', 'PLAIN expects an empty challenge');
      return { response: send(), done: true };
    },
  };
}
