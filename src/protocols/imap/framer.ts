// IMAP framing (RFC 3501 §2.2.2, §7.5): a command's reply ends with the tagged line that
// carries *its* tag, or with a "+" continuation; untagged lines, literal data and tagged
// lines with a tag no command carries end nothing. Before the greeting, the first whole
// line is the greeting, whatever it says, so a server that is no IMAP server is told at once.
import { FramerBase, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { parseImapLine, toneOfStatus } from './response.js';

export class ImapFramer extends FramerBase implements Framer {
  protected announcesLiterals = true;
  private greeted: boolean;
  /** Bytes of a literal the client announced and has not finished sending. */
  private clientLiteral = 0;
  /** The client is inside a command (its line announced a literal): the next line continues it. */
  private midCommand = false;
  /** The server's last reply was "+": the next client line answers it, it is no new command. */
  private continuation = false;
  /** Tags of commands sent and not yet completed, oldest first. */
  private readonly tags: string[] = [];

  constructor(maxLine?: number, greeting = true) {
    super(maxLine);
    this.greeted = !greeting;
  }

  /**
   * A command line gets one answer (its tagged line, or "+" for a synchronising literal);
   * lines that are literal data get none, and the line that finishes the command gets one.
   */
  sent(line: string): number {
    let rest = line;
    let continuing = this.midCommand || this.continuation;
    this.continuation = false;
    if (this.clientLiteral > 0) {
      const bytes = Buffer.byteLength(line) + 2;
      if (bytes <= this.clientLiteral) {
        this.clientLiteral -= bytes;
        return 0;
      }
      rest = line.slice(this.clientLiteral);
      this.clientLiteral = 0;
      continuing = true;
    }
    if (!continuing) {
      const tag = /^(\S+)/.exec(rest)?.[1];
      if (tag) this.tags.push(tag);
    }
    const literal = /\{(\d{1,15})(\+?)\}$/.exec(rest);
    this.midCommand = !!literal;
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
    if (!this.greeted) {
      this.greeted = true;
      return { tone: parts.kind === 'untagged' ? this.toneOf(head) : 'malformed', final: true };
    }
    if (parts.kind === 'continuation') {
      this.continuation = true;
      return { tone: 'intermediate', final: true };
    }
    if (parts.kind === 'untagged') return { tone: this.toneOf(head), final: false };
    const index = parts.tag === undefined ? -1 : this.tags.indexOf(parts.tag);
    if (index < 0) return { tone: 'malformed', final: false };
    this.tags.splice(index, 1);
    return { tone: this.toneOf(head), final: true };
  }
}
