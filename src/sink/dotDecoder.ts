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

export class DotDecoder {
  private atLineStart = true;
  /** The last byte handed out was a CR, so an LF at the start of the next chunk ends a line. */
  private afterCr = false;

  reset(): void {
    this.atLineStart = true;
    this.afterCr = false;
  }

  feed(buffer: Buffer, content: ContentSink): DotFeed {
    const length = buffer.length;
    let pos = 0;
    let runStart = 0;
    const flush = (end: number) => {
      if (end > runStart) {
        content(buffer, runStart, end);
        this.afterCr = buffer[end - 1] === CR;
      }
    };
    while (pos < length) {
      if (this.atLineStart) {
        this.atLineStart = false;
        if (buffer[pos] === DOT) {
          // ".\r\n" ends the message; anything else after the dot is a stuffed line.
          if (pos + 1 >= length || (buffer[pos + 1] === CR && pos + 2 >= length)) {
            flush(pos);
            this.atLineStart = true;
            return { consumed: pos, done: false };
          }
          flush(pos);
          if (buffer[pos + 1] === CR && buffer[pos + 2] === LF) {
            this.reset();
            return { consumed: pos + 3, done: true };
          }
          pos++;
          runStart = pos;
          this.afterCr = false;
          continue;
        }
      }
      const lf = buffer.indexOf(LF, pos);
      if (lf < 0) break;
      this.atLineStart = lf > 0 ? buffer[lf - 1] === CR : this.afterCr;
      pos = lf + 1;
    }
    flush(length);
    return { consumed: length, done: false };
  }
}
