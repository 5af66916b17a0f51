// OAuth 2.0 bearer tokens: XOAUTH2 (Google's mechanism, documented at
// developers.google.com/gmail/imap/xoauth2-protocol) and OAUTHBEARER (RFC 7628). Both send
// the token at once; a failure comes back as a challenge holding a JSON status, which the
// client must answer so the server can send the final failure reply.
import { gs2Header } from './gs2.js';
import { SaslError, type Credentials, type MechanismName, type SaslClient, type SaslStep } from './types.js';
import { decodeUtf8Strict } from './utf8.js';

const SEP = '\x01';

export function createXoauth2Client(credentials: Credentials): SaslClient {
  if (credentials.authzid) throw new SaslError('INVALID_CREDENTIALS', 'XOAUTH2 cannot carry an authorization identity (authzid)');
  checkField('XOAUTH2', 'user', credentials.user);
  checkToken('XOAUTH2', credentials.secret);
  const message = `user=${credentials.user}${SEP}auth=Bearer ${credentials.secret}${SEP}${SEP}`;
  // Google's description: the client answers the error challenge with an empty response.
  return oauthClient('XOAUTH2', message, Buffer.alloc(0));
}

export function createOauthBearerClient(credentials: Credentials): SaslClient {
  const authzid = credentials.authzid ?? credentials.user;
  checkField('OAUTHBEARER', 'user', authzid);
  checkToken('OAUTHBEARER', credentials.secret);
  const pairs: string[] = [];
  if (credentials.host !== undefined) {
    checkField('OAUTHBEARER', 'host', credentials.host);
    pairs.push(`host=${credentials.host}`);
  }
  if (credentials.port !== undefined) {
    if (!Number.isInteger(credentials.port) || credentials.port < 1 || credentials.port > 65535) {
      throw new SaslError('INVALID_CREDENTIALS', `OAUTHBEARER: ${credentials.port} is not a port number`);
    }
    pairs.push(`port=${credentials.port}`);
  }
  pairs.push(`auth=Bearer ${credentials.secret}`);
  // RFC 7628 §3.1: gs2-header, then kvpairs each ended by ^A, then a final ^A.
  const message = `${gs2Header(authzid || undefined)}${SEP}${pairs.map((pair) => pair + SEP).join('')}${SEP}`;
  // RFC 7628 §3.2.3: the client answers the error challenge with a single ^A.
  return oauthClient('OAUTHBEARER', message, Buffer.from(SEP));
}

type State = 'INITIAL' | 'TOKEN_SENT' | 'ERROR_ANSWERED';

function oauthClient(mechanism: MechanismName, text: string, errorResponse: Buffer): SaslClient {
  const message = Buffer.from(text, 'utf8');
  let state: State = 'INITIAL';

  const sendToken = (): Buffer => {
    state = 'TOKEN_SENT';
    return message;
  };

  return {
    mechanism,
    sensitive: true,
    initialResponse: sendToken,
    respond(challenge: Buffer): SaslStep {
      switch (state) {
        case 'INITIAL':
          // Without an initial response the server asks with an empty challenge (RFC 4422 §5).
          if (challenge.length > 0) throw new SaslError('MALFORMED_CHALLENGE', `${mechanism} expects an empty first challenge`);
          return { response: sendToken() };
        case 'TOKEN_SENT': {
          const serverError = readErrorStatus(mechanism, challenge);
          state = 'ERROR_ANSWERED';
          return { response: errorResponse, done: true, serverError };
        }
        case 'ERROR_ANSWERED':
          throw new SaslError('UNEXPECTED_CHALLENGE', `the server sent another challenge after the ${mechanism} error`);
      }
    },
  };
}

/** The error challenge is a JSON object, e.g. {"status":"invalid_token","scope":"…"} (RFC 7628 §3.2.2). */
function readErrorStatus(mechanism: MechanismName, challenge: Buffer): string {
  const text = decodeUtf8Strict(challenge)?.trim();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SaslError('MALFORMED_CHALLENGE', `the ${mechanism} challenge is not the JSON error status the mechanism defines`);
  }
  return text!;
}

// ^A separates the fields, so it (or any control character) inside a value would forge one.
function checkField(mechanism: MechanismName, field: string, value: string): void {
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new SaslError('INVALID_CREDENTIALS', `${mechanism}: the ${field} contains a control character`);
  }
}

// A bearer token is a b64token (RFC 6750 §2.1): no spaces, so a pasted line break or space is caught here.
function checkToken(mechanism: MechanismName, token: string): void {
  if (token.length === 0 || /[\s\u0000-\u001f\u007f]/.test(token)) {
    throw new SaslError('INVALID_CREDENTIALS', `${mechanism}: the access token is empty or contains whitespace or control characters`);
  }
}
