// SMTP and LMTP framing with explicit state: which command each reply answers, and when
// the user is typing DATA content (whose lines get no reply until the final dot).
import { FramerBase, verbOf, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { parseReplyLine, toneOfCode } from './reply.js';

export type SmtpState = 'GREETING' | 'COMMAND' | 'DATA_CONTENT';

export class SmtpFramer extends FramerBase implements Framer {
  /** Commands whose replies have not come yet, oldest first. */
  private readonly awaiting: string[];
  private content = false;
  /** LMTP answers the final dot once per accepted recipient (RFC 2033 §4.2). */
  private acceptedRecipients = 0;

  constructor(private lmtp = false, greeting = true, maxLine?: number) {
    super(maxLine);
    this.awaiting = greeting ? ['GREETING'] : [];
  }

  state(): SmtpState {
    if (this.content) return 'DATA_CONTENT';
    return this.awaiting[0] === 'GREETING' ? 'GREETING' : 'COMMAND';
  }

  inContent(): boolean {
    return this.content;
  }

  sent(line: string): number {
    if (this.content) {
      if (line !== '.') return 0;
      this.content = false;
      const replies = this.lmtp ? Math.max(1, this.acceptedRecipients) : 1;
      for (let i = 0; i < replies; i++) this.awaiting.push('.');
      this.acceptedRecipients = 0;
      return replies;
    }
    const verb = verbOf(line);
    // LMTP answers the last BDAT chunk as it does the final dot (RFC 3030 with RFC 2033).
    if (this.lmtp && verb === 'BDAT' && /\sLAST\s*$/i.test(line)) {
      const replies = Math.max(1, this.acceptedRecipients);
      for (let i = 0; i < replies; i++) this.awaiting.push('BDAT');
      this.acceptedRecipients = 0;
      return replies;
    }
    this.awaiting.push(verb);
    return 1;
  }

  protected toneOf(head: string): Tone {
    // Until the code is whole ("25" of "250"), the line has no tone yet.
    if (head.length < 3) return 'info';
    const parts = parseReplyLine(head);
    return parts ? toneOfCode(parts.code) : 'malformed';
  }

  protected decide(head: string): LineDecision {
    const parts = parseReplyLine(head);
    // A line that is not "ddd-" ends the reply: a malformed one too, so nothing waits for ever.
    const last = parts ? parts.last : true;
    if (last) this.completed(parts?.code ?? 0);
    return { tone: parts ? toneOfCode(parts.code) : 'malformed', final: last };
  }

  private completed(code: number): void {
    const verb = this.awaiting.shift();
    if (verb === 'DATA' && code === 354) this.content = true;
    else if (verb === 'RCPT' && code >= 200 && code < 300) this.acceptedRecipients++;
    else if (verb === 'MAIL' || verb === 'RSET' || verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO') {
      this.acceptedRecipients = 0;
      // A server that takes LHLO speaks LMTP, whatever its greeting said (Dovecot's greeting
      // does not say): the final dot is then answered once per recipient.
      if (verb === 'LHLO' && code === 250) this.lmtp = true;
    }
  }
}
