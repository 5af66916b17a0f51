// LOGIN (draft-murchison-sasl-login, never an RFC): the server asks twice, usually
// "Username:" then "Password:". Servers word and localise the prompts differently, so the
// answer goes by order, not by text; a third challenge is refused rather than guessed at,
// and so is a prompt that is binary or huge.
import { decodeUtf8Strict } from './utf8.js';
import { SaslError, type Credentials, type SaslClient, type SaslStep } from './types.js';

/** Prompts are short text; anything else is not a LOGIN prompt, and no secret answers it. */
const MAX_PROMPT = 256;

function checkPrompt(challenge: Buffer): void {
  const text = decodeUtf8Strict(challenge);
  if (challenge.length > MAX_PROMPT || text === undefined || /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(text)) {
    throw new SaslError('MALFORMED_CHALLENGE', `the server's LOGIN prompt is not a short line of text (${challenge.length} bytes), so no credentials answer it`);
  }
}

export function createLoginClient(credentials: Credentials): SaslClient {
  if (credentials.authzid) throw new SaslError('INVALID_CREDENTIALS', 'LOGIN cannot carry an authorization identity (authzid); use PLAIN');
  const answers = [credentials.user, credentials.secret];
  let asked = 0;

  return {
    mechanism: 'LOGIN',
    sensitive: true,
    initialResponse: () => undefined,
    respond(challenge: Buffer): SaslStep {
      checkPrompt(challenge);
      if (asked >= answers.length) {
        throw new SaslError('UNEXPECTED_CHALLENGE', 'the server asked a third LOGIN question after the user name and password');
      }
      const response = Buffer.from(answers[asked]!, 'utf8');
      asked++;
      return { response, done: asked === answers.length };
    },
  };
}
