// IMAP framing: a command's reply ends with its tagged line or a "+" continuation;
// untagged lines and literal data never end one.
import { FramerBase, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { parseImapLine, toneOfStatus } from './response.js';

export class ImapFramer extends FramerBase implements Framer {
  protected announcesLiterals = true;
  private greeted = false;
  /** Bytes of a literal the client announced and has not finished sending. */
  private clientLiteral = 0;

  /**
   * A command line gets one answer (its tagged line, or "+" for a synchronising literal);
   * lines that are literal data get none, and the line that finishes the command gets one.
   */
  sent(line: string): number {
    let rest = line;
    if (this.clientLiteral > 0) {
      const bytes = Buffer.byteLength(line) + 2;
      if (bytes <= this.clientLiteral) {
        this.clientLiteral -= bytes;
        return 0;
      }
      rest = line.slice(this.clientLiteral);
      this.clientLiteral = 0;
    }
    const literal = /\{(\d{1,15})(\+?)\}$/.exec(rest);
    if (literal) {
      this.clientLiteral = Number(literal[1]);
      // A non-synchronising literal (LITERAL+) is sent without waiting for "+".
      return literal[2] ? 0 : 1;
    }
    return 1;
  }

  sentRaw(bytes: number): void {
    this.clientLiteral = Math.max(0, this.clientLiteral - bytes);
  }

  protected toneOf(head: string): Tone {
    const parts = parseImapLine(head);
    return parts.kind === 'continuation' ? 'intermediate' : toneOfStatus(parts.status);
  }

  protected decide(head: string): LineDecision {
    const parts = parseImapLine(head);
    let final: boolean;
    if (!this.greeted) {
      // The greeting is untagged: OK, PREAUTH or BYE.
      final = parts.kind === 'untagged';
      this.greeted = final;
    } else {
      final = parts.kind !== 'untagged';
    }
    return { tone: this.toneOf(head), final };
  }
}
