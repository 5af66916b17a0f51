// IMAP framing: a command's reply ends with its tagged line or a "+" continuation;
// untagged lines and literal data never end one.
import { FramerBase } from '../framerBase.js';
import type { RawLine } from '../lineSplitter.js';
import type { Framer, ServerLine } from '../types.js';
import { parseImapLine, toneOfStatus } from './response.js';

export class ImapFramer extends FramerBase implements Framer {
  private greeted = false;

  sent(): number {
    return 1;
  }

  protected classify(raw: RawLine): ServerLine {
    const text = this.literalAware(raw);
    if (text === undefined) return this.plain(raw);
    const parts = parseImapLine(text);
    let final = false;
    if (raw.ending !== 'none') {
      if (!this.greeted) {
        // The greeting is untagged: OK, PREAUTH or BYE.
        final = parts.kind === 'untagged';
        this.greeted = final;
      } else {
        final = parts.kind !== 'untagged';
      }
    }
    const tone = parts.kind === 'continuation' ? 'intermediate' : toneOfStatus(parts.status);
    return { bytes: raw.bytes, text, ending: raw.ending, tone, final, continued: raw.continued || undefined };
  }
}
