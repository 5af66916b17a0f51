// MySQL framing: packets of a 3-byte little-endian length, a sequence id and the payload.
// The server speaks first (its handshake); mailprobe's only message, the SSL request, is
// owed no answer — the TLS handshake follows it — so every packet after the greeting
// answers nothing, and each is final (a stray reply: injection when it comes before TLS).
//
//   GREETING ── the handshake packet (or ERR) ──▶ QUIET
//   a length out of bounds ──▶ BROKEN (the stream cannot be followed again)
import { BinaryFramer, messageLine, unreadPiece } from '../binaryFramer.js';
import type { Framer, ServerLine } from '../types.js';
import { describePacket, HEADER_BYTES } from './packets.js';

export type MysqlState = 'GREETING' | 'QUIET' | 'BROKEN';

/**
 * The longest payload kept. A handshake is about 100 bytes (a 60-byte version string at
 * most), an ERR under 600; 0xffffff (a packet continued in the next) is never one of them.
 */
export const MAX_PACKET_BYTES = 64 * 1024;

export class MysqlFramer extends BinaryFramer implements Framer {
  private current: MysqlState;

  constructor(greeting = true) {
    super();
    this.current = greeting ? 'GREETING' : 'QUIET';
  }

  state(): MysqlState {
    return this.current;
  }

  /** The SSL request is answered by the TLS handshake, not by a packet. */
  sentMessage(): number {
    return 0;
  }

  protected next(): ServerLine | undefined {
    if (this.queue.length === 0) return undefined;
    if (this.current === 'BROKEN') return unreadPiece(this.queue, 'packet');
    if (this.queue.length < HEADER_BYTES) return undefined;
    const head = this.queue.peek(HEADER_BYTES);
    const length = head.readUIntLE(0, 3);
    const sequence = head[3];
    if (length === 0 || length > MAX_PACKET_BYTES) {
      this.current = 'BROKEN';
      const bytes = this.queue.take(HEADER_BYTES);
      const why = length === 0 ? 'an empty packet' : `a packet of ${length} bytes (over ${MAX_PACKET_BYTES})`;
      return messageLine(bytes, `malformed packet header: ${why}, sequence ${sequence}`, 'malformed', true);
    }
    if (this.queue.length < HEADER_BYTES + length) return undefined;
    const bytes = this.queue.take(HEADER_BYTES + length);
    const { shown, tone } = describePacket(sequence, bytes.subarray(HEADER_BYTES));
    this.current = 'QUIET';
    return messageLine(bytes, shown, tone, true);
  }
}
