// Message content for a load run: the body is made once and shared by every message;
// only the headers (Message-ID, Date) are new per message.
import { rfc5322Date } from '../protocols/testMessage.js';

const LINE = 'The quick brown fox jumps over the lazy dog while mailprobe measures the relay.';

/** A CRLF body of exactly `size` bytes (at least one line), no line starting with ".". */
export function makeBody(size: number): Buffer {
  const line = Buffer.from(`${LINE}\r\n`, 'latin1');
  const body = Buffer.alloc(Math.max(size, 2), 0x20);
  for (let offset = 0; offset < body.length; offset += line.length) line.copy(body, offset, 0, Math.min(line.length, body.length - offset));
  body[body.length - 2] = 0x0d;
  body[body.length - 1] = 0x0a;
  return body;
}

export class HeaderMaker {
  /** Marks this run's messages in the server's logs: a name to search for, not a secret (no node:crypto at start-up). */
  private readonly run = Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  private sequence = 0;
  /** Everything between the Date value and the message number, made once. */
  private readonly middle: string;
  /** The Date header changes once a second: it is formatted once a second. */
  private second = -1;
  private date = '';

  constructor(from: string, to: string[], private readonly domain: string) {
    this.middle = `\r\nFrom: <${from}>\r\nTo: ${to.map((t) => `<${t}>`).join(', ')}\r\nSubject: mailprobe load ${this.run} #`;
  }

  /** The next message's headers and the blank line after them, latin1 text (one byte a character). */
  next(): string {
    const n = ++this.sequence;
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.date = rfc5322Date(new Date(now));
    }
    return `Date: ${this.date}${this.middle}${n}\r\nMessage-ID: <${this.run}.${n}@${this.domain}>\r\n\r\n`;
  }
}
