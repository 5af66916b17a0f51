// LDAP framing: the server sends whole BER LDAPMessages (RFC 4511 §5.1), not lines. Each
// complete message becomes one ServerLine with its raw bytes and a readable `shown`, plus
// one line per attribute value for a search entry. Which messages complete a reply follows
// from the messageIDs of the requests sent:
//
//   extendedReq #n  ← extendedResp #n (final)
//   searchRequest #n ← searchResEntry/searchResRef #n … (not final), searchResDone #n (final)
//   unbindRequest   ← nothing
//   messageID 0     ← unsolicited notification (Notice of Disconnection): answers nothing, never final
//   any other ID    ← answers no request sent: final, so the connection and the dialogue see it
//
// States: FRAMING (reading message after message) → BROKEN once the stream cannot be framed
// (indefinite or oversized length, not a SEQUENCE): the rest is shown as bytes, never parsed.
// A message whose outer TLV is sound but whose inside is not is malformed on its own and
// framing goes on after it. Pending bytes never exceed the largest message allowed.
import { BerError, MAX_MESSAGE_BYTES, readHeader } from './ber.js';
import { decodeMessage, OP, type LdapMessage } from './message.js';
import { render } from './render.js';
import type { Framer, ServerLine, Tone } from '../types.js';

export type LdapFramerState = 'FRAMING' | 'BROKEN';

/** Identifier and length octets of an LDAPMessage: 1 + at most 5. */
const HEADER_MAX = 6;

/** Parts of a reply that do not end it: entries, references, intermediate responses. */
const PARTIAL_OPS: ReadonlySet<number> = new Set([OP.searchResEntry, OP.searchResRef, OP.intermediateResponse]);
/** Requests the server answers with nothing (RFC 4511 §4.3, §4.11). */
const UNANSWERED_OPS: ReadonlySet<number> = new Set([OP.unbindRequest, OP.abandonRequest]);

function line(bytes: Buffer, shown: string, tone: Tone, final: boolean): ServerLine {
  return { bytes, text: bytes.toString('latin1'), ending: 'none', tone, final, shown };
}

export class LdapFramer implements Framer {
  /** Bytes received and not yet framed: buffer[start, end). */
  private buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** The whole size (header + contents) of the message being read, once its header is known. */
  private expected?: number;
  private broken = false;
  /** Requests sent and not yet completed: messageID → protocolOp tag. */
  private readonly outstanding = new Map<number, number>();

  constructor(private readonly maxMessage = MAX_MESSAGE_BYTES) {}

  state(): LdapFramerState {
    return this.broken ? 'BROKEN' : 'FRAMING';
  }

  push(chunk: Buffer): ServerLine[] {
    if (chunk.length === 0) return [];
    if (this.broken) return [line(chunk, `${chunk.length} more bytes after the malformed message`, 'malformed', false)];
    this.append(chunk);
    const out: ServerLine[] = [];
    while (!this.broken) {
      if (this.expected === undefined) {
        const problem = this.readExpected();
        if (problem) {
          out.push(this.breakOff(problem));
          break;
        }
        if (this.expected === undefined) break;
      }
      if (this.pending() < this.expected) break;
      const bytes = this.take(this.expected);
      this.expected = undefined;
      out.push(...this.classify(bytes));
    }
    return out;
  }

  /** Reads the next message's header into `expected`; returns why the stream cannot be framed. */
  private readExpected(): string | undefined {
    let header;
    try {
      header = readHeader(this.peek().subarray(0, HEADER_MAX), 0, this.maxMessage);
    } catch (error) {
      if (error instanceof BerError) return error.message;
      throw error;
    }
    if (header === 'incomplete') return undefined;
    if (header.tag !== 0x30) return `not an LDAPMessage (tag 0x${header.tag.toString(16).padStart(2, '0')}, not a SEQUENCE)`;
    this.expected = header.headerBytes + header.length;
    return undefined;
  }

  /** The stream cannot be framed any more: what is pending is one malformed reply. */
  private breakOff(why: string): ServerLine {
    this.broken = true;
    const bytes = this.take(this.pending());
    this.expected = undefined;
    return line(bytes, `malformed BER: ${why}`, 'malformed', true);
  }

  private classify(bytes: Buffer): ServerLine[] {
    let message: LdapMessage;
    try {
      message = decodeMessage(bytes);
    } catch (error) {
      if (!(error instanceof BerError)) throw error;
      return [line(bytes, `malformed LDAPMessage: ${error.message}`, 'malformed', true)];
    }
    const { lines, tone } = render(message);
    const awaited = this.outstanding.get(message.id);
    let final: boolean;
    let note = '';
    if (message.id === 0) final = false;
    else if (awaited === undefined) {
      final = true;
      note = ' (answers no request mailprobe sent)';
    } else {
      final = !PARTIAL_OPS.has(message.tag);
      if (final) this.outstanding.delete(message.id);
    }
    const [first, ...rest] = lines;
    return [
      line(bytes, first + note, tone, final && rest.length === 0),
      ...rest.map((text, i) => line(Buffer.alloc(0), text, 'info', final && i === rest.length - 1)),
    ];
  }

  sent(): number {
    // No text lines in LDAP: mailprobe sends messages (sentMessage).
    return 0;
  }

  sentMessage(bytes: Buffer): number {
    let message: LdapMessage;
    try {
      message = decodeMessage(bytes);
    } catch {
      return 0;
    }
    if (UNANSWERED_OPS.has(message.tag)) return 0;
    this.outstanding.set(message.id, message.tag);
    return 1;
  }

  inContent(): boolean {
    return false;
  }

  pendingBytes(): number {
    return this.pending();
  }

  private pending(): number {
    return this.end - this.start;
  }

  /** A message cut short (the server closed mid-message): shown as such; its boundary is lost. */
  takePartial(): ServerLine | undefined {
    if (this.pending() === 0) return undefined;
    const bytes = this.take(this.pending());
    this.expected = undefined;
    this.broken = true;
    return line(bytes, `an LDAPMessage cut short after ${bytes.length} bytes`, 'malformed', false);
  }

  drain(): Buffer {
    const bytes = this.take(this.pending());
    this.expected = undefined;
    return bytes;
  }

  /** Appends to the one buffer, compacting or doubling it (amortised linear, however small the chunks). */
  private append(chunk: Buffer): void {
    const size = this.end - this.start;
    if (this.end + chunk.length > this.buffer.length) {
      if (size + chunk.length <= this.buffer.length) this.buffer.copyWithin(0, this.start, this.end);
      else {
        const grown = Buffer.allocUnsafe(Math.max(size + chunk.length, this.buffer.length * 2));
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      }
      this.start = 0;
      this.end = size;
    }
    chunk.copy(this.buffer, this.end);
    this.end += chunk.length;
  }

  /** The pending bytes, not copied: read them before the next append. */
  private peek(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }

  /** Removes and returns (a copy of) the first `n` pending bytes. */
  private take(n: number): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(this.start, this.start + n));
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
    return bytes;
  }
}
