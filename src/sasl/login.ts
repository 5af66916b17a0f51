// LOGIN (draft-murchison-sasl-login, never an RFC): the server asks twice, usually
// "Username:" then "Password:". Servers word and localise the prompts differently, so the
// answer goes by order, not by text; a third challenge is refused rather than guessed at.
import { SaslError, type Credentials, type SaslClient, type SaslStep } from './types.js';

export function createLoginClient(credentials: Credentials): SaslClient {
  if (credentials.authzid) throw new SaslError('INVALID_CREDENTIALS', 'LOGIN cannot carry an authorization identity (authzid); use PLAIN');
  const answers = [credentials.user, credentials.secret];
  let asked = 0;

  return {
    mechanism: 'LOGIN',
    sensitive: true,
    initialResponse: () => undefined,
    respond(_challenge: Buffer): SaslStep {
      if (asked >= answers.length) {
        throw new SaslError('UNEXPECTED_CHALLENGE', 'the server asked a third LOGIN question after the user name and password');
      }
      const response = Buffer.from(answers[asked]!, 'utf8');
      asked++;
      return { response, done: asked === answers.length };
    },
  };
}
