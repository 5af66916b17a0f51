// FTP control-channel framing (RFC 959 §4.2): one reply per command, which may be a
// multi-line reply ("211-" … "211 End") and may be preceded by preliminary 1xx replies
// ("150 Opening data connection" before "226 Transfer complete"): a 1xx never completes
// the command's reply, so the 226 is not taken for an answer to nothing.
//
//   REPLY ⇄ MULTILINE (from "ddd-" to the first line "ddd " with the same code)
import { FramerBase, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { closesMultiline, parseFtpLine, toneOfFtp } from './reply.js';

export type FtpState = 'REPLY' | 'MULTILINE';

export class FtpFramer extends FramerBase implements Framer {
  /** The code of the multi-line reply under way. */
  private open?: number;

  state(): FtpState {
    return this.open === undefined ? 'REPLY' : 'MULTILINE';
  }

  /** Every command is answered by one reply (FTP has no message content on this channel). */
  sent(): number {
    return 1;
  }

  protected toneOf(head: string): Tone {
    if (this.open !== undefined) return toneOfFtp(this.open);
    // Until the code is whole ("22" of "220"), the line has no tone yet.
    if (head.length < 3) return 'info';
    return toneOfFtp(parseFtpLine(head)?.code);
  }

  protected decide(head: string): LineDecision {
    if (this.open !== undefined) {
      const code = this.open;
      if (!closesMultiline(head, code)) return { tone: toneOfFtp(code), final: false };
      this.open = undefined;
      return { tone: toneOfFtp(code), final: code >= 200 };
    }
    const parts = parseFtpLine(head);
    // A malformed line ends the reply, so nothing waits for ever.
    if (!parts) return { tone: 'malformed', final: true };
    if (parts.opens) {
      this.open = parts.code;
      return { tone: toneOfFtp(parts.code), final: false };
    }
    return { tone: toneOfFtp(parts.code), final: parts.code >= 200 };
  }
}
