// The server side of AUTH PLAIN and AUTH LOGIN (RFC 4954, RFC 4616): a small state
// machine fed the client's base64 lines, ending in accepted or refused credentials.
import { decodeBase64Strict } from '../sasl/base64.js';
import type { SinkCredentials } from './options.js';

export type SinkMechanism = 'PLAIN' | 'LOGIN';

export const SINK_MECHANISMS: readonly SinkMechanism[] = ['PLAIN', 'LOGIN'];

/** What to send next: a 334 challenge, or the outcome. */
export type AuthStep =
  | { kind: 'challenge'; text: string }
  | { kind: 'done'; ok: boolean; user: string }
  | { kind: 'error'; reply: string };

const USERNAME = Buffer.from('Username:').toString('base64');
const PASSWORD = Buffer.from('Password:').toString('base64');

/** One AUTH exchange. `expected` undefined accepts any credentials. */
export class AuthExchange {
  private user?: string;

  constructor(
    readonly mechanism: SinkMechanism,
    private readonly expected: SinkCredentials | undefined,
  ) {}

  /** The AUTH command itself, with its initial response (or none). */
  start(initial: string | undefined): AuthStep {
    if (initial === undefined) return { kind: 'challenge', text: this.mechanism === 'LOGIN' ? USERNAME : '' };
    return this.respond(initial);
  }

  /** A response line from the client. */
  respond(line: string): AuthStep {
    if (line === '*') return { kind: 'error', reply: '501 5.7.0 Authentication aborted' };
    // "=" is an empty initial response (RFC 4954 §4).
    const bytes = line === '=' ? Buffer.alloc(0) : decodeBase64Strict(line);
    if (!bytes) return { kind: 'error', reply: '501 5.5.2 Cannot decode the response' };
    const text = bytes.toString('utf8');
    if (this.mechanism === 'PLAIN') {
      const parts = text.split('\0');
      if (parts.length !== 3) return { kind: 'error', reply: '501 5.5.2 PLAIN wants authzid NUL user NUL password' };
      return this.check(parts[1], parts[2]);
    }
    if (this.user === undefined) {
      this.user = text;
      return { kind: 'challenge', text: PASSWORD };
    }
    return this.check(this.user, text);
  }

  private check(user: string, password: string): AuthStep {
    const ok = !this.expected || (user === this.expected.user && password === this.expected.password);
    return { kind: 'done', ok, user };
  }
}
