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

/** Where the connection stands when AUTH comes. */
export interface AuthContext {
  /** The greeting command given: AUTH needs EHLO (LHLO in LMTP). */
  greeted: boolean;
  lmtp: boolean;
  inTransaction: boolean;
  /** AUTH is offered (with a certificate, only once TLS is on). */
  offered: boolean;
}

/** A reply to AUTH or to a response line, and whether the next line is a response too. */
export interface AuthReply {
  reply: string;
  awaiting: boolean;
}

/** One connection's logins: the AUTH command's checks, its exchange, and whether it succeeded. */
export class SinkLogin {
  authenticated = false;
  private exchange?: AuthExchange;

  constructor(
    private readonly expected: SinkCredentials | undefined,
    /** A login refused, for the run's count. */
    private readonly refused: () => void,
  ) {}

  /** The AUTH command's arguments: its reply (a challenge, an outcome, or why not). */
  command(args: string, where: AuthContext): AuthReply {
    const refuse = (reply: string): AuthReply => ({ reply, awaiting: false });
    if (!where.greeted) return refuse(`503 5.5.1 Error: send ${where.lmtp ? 'LHLO' : 'EHLO'} first\r\n`);
    if (this.authenticated) return refuse('503 5.5.1 Error: already authenticated\r\n');
    if (where.inTransaction) return refuse('503 5.5.1 Error: MAIL transaction in progress\r\n');
    if (!where.offered) return refuse('538 5.7.11 Encryption required for requested authentication mechanism\r\n');
    const [mechanism, initial, extra] = args.split(/\s+/);
    const name = (mechanism ?? '').toUpperCase();
    if (!SINK_MECHANISMS.includes(name as SinkMechanism)) return refuse('504 5.5.4 Unrecognized authentication type\r\n');
    if (extra !== undefined) return refuse('501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n');
    this.exchange = new AuthExchange(name as SinkMechanism, this.expected);
    return this.step(this.exchange.start(initial));
  }

  /** A line while a response is awaited. */
  response(line: string): AuthReply {
    if (!this.exchange) return { reply: '503 5.5.1 Error: no AUTH under way\r\n', awaiting: false };
    return this.step(this.exchange.respond(line.trim()));
  }

  /** The exchange is abandoned (a response line too long). */
  abort(): void {
    this.exchange = undefined;
  }

  /** Everything said before TLS is forgotten (RFC 3207 §4.2), a login too. */
  forget(): void {
    this.exchange = undefined;
    this.authenticated = false;
  }

  private step(step: AuthStep): AuthReply {
    if (step.kind === 'challenge') return { reply: `334 ${step.text}\r\n`, awaiting: true };
    this.exchange = undefined;
    if (step.kind === 'error') return { reply: `${step.reply}\r\n`, awaiting: false };
    if (step.ok) {
      this.authenticated = true;
      return { reply: '235 2.7.0 Authentication successful\r\n', awaiting: false };
    }
    this.refused();
    return { reply: '535 5.7.8 Error: authentication failed\r\n', awaiting: false };
  }
}
