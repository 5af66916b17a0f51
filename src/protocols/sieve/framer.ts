// ManageSieve framing: a response ends at its OK/NO/BYE line; during AUTHENTICATE a line
// holding only a string is a SASL challenge and also ends what the client waits for.
import { FramerBase, verbOf, type LineDecision } from '../framerBase.js';
import type { Framer, Tone } from '../types.js';
import { sieveStatus, toneOfSieve } from './response.js';

export class SieveFramer extends FramerBase implements Framer {
  protected announcesLiterals = true;
  private authenticating = false;
  /** Reading the greeting: capability strings until OK; anything else is no ManageSieve greeting. */
  private greeting: boolean;

  constructor(maxLine?: number, greeting = true) {
    super(maxLine);
    this.greeting = greeting;
  }

  sent(line: string): number {
    const verb = verbOf(line);
    if (verb === 'AUTHENTICATE') this.authenticating = true;
    return 1;
  }

  protected toneOf(head: string): Tone {
    return !sieveStatus(head) && this.authenticating ? 'intermediate' : toneOfSieve(head);
  }

  protected decide(head: string): LineDecision {
    const status = sieveStatus(head);
    const tone = this.toneOf(head);
    if (this.greeting) {
      // A line that is neither a capability string nor a status ends the greeting at once.
      const greetingLine = head.startsWith('"') || head.startsWith('{');
      if (status || !greetingLine) this.greeting = false;
      return { tone: status || greetingLine ? tone : 'malformed', final: !!status || !greetingLine };
    }
    if (status) {
      this.authenticating = false;
      return { tone, final: true };
    }
    // During AUTHENTICATE a line holding only a string is a challenge.
    return { tone, final: this.authenticating && head.startsWith('"') };
  }
}
