// PostgreSQL framing. The server never speaks first; what it sends is framed by what the
// client last sent:
//
//   QUIET ── SSLRequest ──▶ SSL_ANSWER ── S or N (one byte) ──────────▶ QUIET
//     │                        └── E (an ErrorResponse, from a server older than SSL) ─▶ QUIET
//     └── StartupMessage ──▶ STARTUP ── R (not Ok), E or Z ends the answer ─▶ QUIET
//   a length out of bounds, in any state ─▶ BROKEN (the stream cannot be followed again)
//
// SSL_ANSWER frames its one byte alone, so bytes that follow an S — in the same packet or
// later — are never part of the go-ahead: the connection core takes them as injection.
// STARTUP: AuthenticationOk, ParameterStatus, BackendKeyData and notices go on until
// ReadyForQuery; an authentication request (the server waits for a password), an
// ErrorResponse or ReadyForQuery ends it. In QUIET every message answers nothing, so each
// is final (a stray reply to the core).
import { BinaryFramer, messageLine, unreadPiece } from '../binaryFramer.js';
import type { Framer, ServerLine } from '../types.js';
import { authCode, clientMessageKind, describeServerMessage, SSL_ANSWER } from './messages.js';

export type PostgresState = 'QUIET' | 'SSL_ANSWER' | 'STARTUP' | 'BROKEN';

/**
 * The longest message body kept. Answers to the startup are small (an ErrorResponse with
 * detail and hint is well under 2 KiB, a ParameterStatus under 200 bytes); anything longer
 * before a session exists is not PostgreSQL talking.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const HEADER = 5;

export class PostgresFramer extends BinaryFramer implements Framer {
  private current: PostgresState = 'QUIET';
  /** In SSL_ANSWER, an E byte starts an ErrorResponse to read whole. */
  private sslError = false;

  state(): PostgresState {
    return this.current;
  }

  sentMessage(bytes: Buffer): number {
    if (this.current === 'BROKEN') return 0;
    const kind = clientMessageKind(bytes);
    if (kind === 'ssl-request') this.current = 'SSL_ANSWER';
    else if (kind === 'startup') this.current = 'STARTUP';
    return kind === 'other' ? 0 : 1;
  }

  protected next(): ServerLine | undefined {
    if (this.queue.length === 0) return undefined;
    if (this.current === 'BROKEN') return unreadPiece(this.queue, 'message');
    if (this.current === 'SSL_ANSWER' && !this.sslError) {
      const byte = this.queue.peek(1)[0];
      if (byte === SSL_ANSWER.error) {
        this.sslError = true;
        return this.next();
      }
      this.current = 'QUIET';
      const bytes = this.queue.take(1);
      if (byte === SSL_ANSWER.accepted) return messageLine(bytes, 'S (SSLRequest accepted: TLS next)', 'ok', true);
      if (byte === SSL_ANSWER.refused) return messageLine(bytes, 'N (SSLRequest refused: the server offers no TLS)', 'permfail', true);
      return messageLine(bytes, `0x${byte.toString(16).padStart(2, '0')} (not an answer to an SSLRequest: S or N)`, 'malformed', true);
    }
    return this.typedMessage();
  }

  /** One type byte, an int32 length (counting itself), the body. */
  private typedMessage(): ServerLine | undefined {
    if (this.queue.length < HEADER) return undefined;
    const head = this.queue.peek(HEADER);
    const type = head[0];
    const length = head.readInt32BE(1);
    if (length < 4 || length - 4 > MAX_MESSAGE_BYTES) {
      this.current = 'BROKEN';
      const bytes = this.queue.take(HEADER);
      const why = length < 4 ? `length ${length} is below 4` : `length ${length} is over ${MAX_MESSAGE_BYTES + 4}`;
      return messageLine(bytes, `malformed message: type 0x${type.toString(16).padStart(2, '0')}, ${why}`, 'malformed', true);
    }
    if (this.queue.length < 1 + length) return undefined;
    const bytes = this.queue.take(1 + length);
    const body = bytes.subarray(HEADER);
    const { shown, tone } = describeServerMessage(type, body);
    return messageLine(bytes, shown, tone, this.ends(type, body));
  }

  /** Does this message end the answer under way? */
  private ends(type: number, body: Buffer): boolean {
    if (this.sslError) {
      this.sslError = false;
      this.current = 'QUIET';
      return true;
    }
    if (this.current !== 'STARTUP') return true;
    const t = String.fromCharCode(type);
    // AuthenticationOk (0) goes on to ParameterStatus ... ReadyForQuery; any other request waits for the client.
    const final = t === 'E' || t === 'Z' || (t === 'R' && authCode(body) !== 0);
    if (final) this.current = 'QUIET';
    return final;
  }
}
