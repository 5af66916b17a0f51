// DATA content as the server reads it (RFC 5321 §4.5.2): ends at CRLF "." CRLF; a line
// that starts with "." has that dot removed. Fed chunks of any size; hands out the message
// as ranges of the input (no copies), so a sink that only counts bytes allocates nothing.
//
// Lines end at CRLF only: a bare LF is content, and "\n.\n" does not end the message (the
// reading that keeps SMTP smuggling out).

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

export interface DotFeed {
  /** Bytes of the input used; the rest (at most ".\r") must be fed again with more data. */
  consumed: number;
  /** The terminating line was read: input after `consumed` belongs to the next command. */
  done: boolean;
}

export type ContentSink = (buffer: Buffer, start: number, end: number) => void;

/** Where a dot can start a line: the only place the decoder has anything to do. */
const CRLF_DOT = Buffer.from('\r\n.', 'latin1');

export class DotDecoder {
  private atLineStart = true;
  /** The last chunk ended in a CR, so an LF at the start of the next one ends a line. */
  private afterCr = false;

  reset(): void {
    this.atLineStart = true;
    this.afterCr = false;
  }

  /**
   * Hands out the content up to the ending dot line, dropping the stuffed dots. Between two
   * dots at line starts it only searches (CRLF "." is rare in mail): a 4 KiB message costs a
   * search or two, not one per line.
   */
  feed(buffer: Buffer, content: ContentSink): DotFeed {
    const length = buffer.length;
    if (length === 0) return { consumed: 0, done: false };
    let pos = 0;
    let runStart = 0;
    // A CR ended the last chunk: an LF first here ends that line.
    const lineEndsFirst = !this.atLineStart && this.afterCr && buffer[0] === LF;
    if (lineEndsFirst) {
      pos = 1;
      this.atLineStart = true;
    }
    for (;;) {
      if (this.atLineStart && pos < length && buffer[pos] === DOT) {
        // ".\r\n" ends the message; anything else after the dot is a stuffed line.
        if (pos + 1 >= length || (buffer[pos + 1] === CR && pos + 2 >= length)) {
          // Wait for the bytes that say which (the dot is fed again with them).
          if (pos > runStart) content(buffer, runStart, pos);
          return { consumed: pos, done: false };
        }
        if (pos > runStart) content(buffer, runStart, pos);
        if (buffer[pos + 1] === CR && buffer[pos + 2] === LF) {
          this.reset();
          return { consumed: pos + 3, done: true };
        }
        runStart = ++pos;
      }
      const next = buffer.indexOf(CRLF_DOT, pos);
      if (next < 0) break;
      pos = next + 2;
      this.atLineStart = true;
    }
    if (length > runStart) content(buffer, runStart, length);
    const last = buffer[length - 1];
    // The chunk ends at a line start when it ends in CRLF (the CR perhaps in the chunk before).
    this.atLineStart = last === LF && (length >= 2 ? buffer[length - 2] === CR : lineEndsFirst);
    this.afterCr = last === CR;
    return { consumed: length, done: false };
  }
}
