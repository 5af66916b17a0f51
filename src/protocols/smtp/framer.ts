// SMTP and LMTP framing with explicit state: which command each reply answers, and when
// the user is typing DATA content (whose lines get no reply until the final dot).
import { FramerBase, verbOf } from '../framerBase.js';
import type { RawLine } from '../lineSplitter.js';
import type { Framer, ServerLine } from '../types.js';
import { parseReplyLine, toneOfCode } from './reply.js';

export type SmtpState = 'GREETING' | 'COMMAND' | 'DATA_CONTENT';

export class SmtpFramer extends FramerBase implements Framer {
  /** Commands whose replies have not come yet, oldest first. */
  private readonly awaiting: string[] = ['GREETING'];
  private content = false;
  /** LMTP answers the final dot once per accepted recipient (RFC 2033 §4.2). */
  private acceptedRecipients = 0;
  private openLineFinal = false;
  private openLineTone: ServerLine['tone'] = 'info';
  private openLineCode = 0;

  constructor(private readonly lmtp = false, maxLine?: number) {
    super(maxLine);
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
    this.awaiting.push(verbOf(line));
    return 1;
  }

  protected classify(raw: RawLine): ServerLine {
    if (!raw.start) {
      // The tail of a line whose start was handed out before: it inherits that start's meaning.
      const final = raw.ending !== 'none' && this.openLineFinal;
      if (final) this.completed(this.openLineCode);
      return this.plain(raw, this.openLineTone, final);
    }
    const text = raw.bytes.toString('latin1');
    const parts = parseReplyLine(text);
    const tone = parts ? toneOfCode(parts.code) : 'malformed';
    const lastLine = parts ? parts.last : true;
    if (raw.ending === 'none') {
      this.openLineFinal = lastLine;
      this.openLineTone = tone;
      this.openLineCode = parts?.code ?? 0;
      return { bytes: raw.bytes, text, ending: raw.ending, tone, final: false, continued: true };
    }
    if (lastLine) this.completed(parts?.code ?? 0);
    return { bytes: raw.bytes, text, ending: raw.ending, tone, final: lastLine };
  }

  private completed(code: number): void {
    const verb = this.awaiting.shift();
    if (verb === 'DATA' && code === 354) this.content = true;
    else if (verb === 'RCPT' && code >= 200 && code < 300) this.acceptedRecipients++;
    else if (verb === 'MAIL' || verb === 'RSET' || verb === 'EHLO' || verb === 'HELO' || verb === 'LHLO') {
      this.acceptedRecipients = 0;
    }
  }
}
