// NNTP framing (RFC 3977 §3.1): one status line per command, except the commands whose
// status code announces a dot-terminated block. Which commands those are is known from
// the command sent, and the block follows only when the code says so: an error ends the
// reply at once. POST and IHAVE, once invited (340, 335), take article lines until ".".
//
//   GREETING → COMMAND ⇄ BLOCK (data lines up to ".")
//                COMMAND → ARTICLE_CONTENT (after 340/335) → COMMAND (after the ".")
import { FramerBase, verbOf, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { statusCode, toneOfNntp } from './reply.js';

export type NntpState = 'GREETING' | 'COMMAND' | 'BLOCK' | 'ARTICLE_CONTENT';

/** The codes after which each command's reply goes on with a block up to a lone ".". */
const BLOCK_CODES: Readonly<Record<string, readonly number[]>> = {
  CAPABILITIES: [101],
  HELP: [100],
  LIST: [215],
  LISTGROUP: [211],
  ARTICLE: [220],
  HEAD: [221],
  BODY: [222],
  OVER: [224],
  XOVER: [224],
  HDR: [225],
  // RFC 2980 XHDR and XPAT answer 221 (INN still does); RFC 3977's HDR answers 225.
  XHDR: [221, 225],
  XPAT: [221],
  NEWNEWS: [230],
  NEWGROUPS: [231],
};

/** The invitation to send an article (RFC 3977 §6.3.1 POST, §6.3.2 IHAVE). */
const CONTENT_CODES: Readonly<Record<string, number>> = { POST: 340, IHAVE: 335 };

/** Does the reply to `verb` with this code go on with a dot-terminated block? */
export function opensBlock(verb: string, code: number | undefined): boolean {
  return code !== undefined && (BLOCK_CODES[verb]?.includes(code) ?? false);
}

export class NntpFramer extends FramerBase implements Framer {
  /** Verbs of the commands whose replies have not come yet, oldest first. */
  private readonly awaiting: string[];
  private inBlock = false;
  private content = false;

  constructor(maxLine?: number, greeting = true) {
    super(maxLine);
    this.awaiting = greeting ? ['GREETING'] : [];
  }

  state(): NntpState {
    if (this.content) return 'ARTICLE_CONTENT';
    if (this.inBlock) return 'BLOCK';
    return this.awaiting[0] === 'GREETING' ? 'GREETING' : 'COMMAND';
  }

  inContent(): boolean {
    return this.content;
  }

  sent(line: string): number {
    if (this.content) {
      if (line !== '.') return 0;
      this.content = false;
      this.awaiting.push('.');
      return 1;
    }
    this.awaiting.push(verbOf(line));
    return 1;
  }

  protected toneOf(head: string): Tone {
    if (this.inBlock) return 'info';
    // Until the code is whole ("20" of "200"), the line has no tone yet.
    if (head.length < 3) return 'info';
    return toneOfNntp(statusCode(head));
  }

  protected decide(head: string): LineDecision {
    if (this.inBlock) {
      // ".." is a stuffed dot inside the block, not its end.
      const end = head === '.';
      if (end) {
        this.inBlock = false;
        this.awaiting.shift();
      }
      return { tone: 'info', final: end };
    }
    const code = statusCode(head);
    const tone = toneOfNntp(code);
    const verb = this.awaiting[0] ?? '';
    if (opensBlock(verb, code)) {
      this.inBlock = true;
      return { tone, final: false };
    }
    // A malformed line ends the reply too, so nothing waits for ever.
    this.awaiting.shift();
    if (code !== undefined && CONTENT_CODES[verb] === code) this.content = true;
    return { tone, final: true };
  }
}
