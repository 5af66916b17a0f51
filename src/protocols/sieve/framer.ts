// ManageSieve framing: a response ends at its OK/NO/BYE line; during AUTHENTICATE a line
// holding only a string is a SASL challenge and also ends what the client waits for.
import { FramerBase, verbOf } from '../framerBase.js';
import type { RawLine } from '../lineSplitter.js';
import type { Framer, ServerLine } from '../types.js';
import { sieveStatus, toneOfSieve } from './response.js';

export class SieveFramer extends FramerBase implements Framer {
  private authenticating = false;

  sent(line: string): number {
    const verb = verbOf(line);
    if (verb === 'AUTHENTICATE') this.authenticating = true;
    return 1;
  }

  protected classify(raw: RawLine): ServerLine {
    const text = this.literalAware(raw);
    if (text === undefined) return this.plain(raw);
    const whole = raw.ending !== 'none';
    const status = sieveStatus(text);
    let final = whole && status !== undefined;
    if (final) this.authenticating = false;
    else if (whole && this.authenticating && /^("|\{)/.test(text)) final = true;
    const tone = !status && this.authenticating ? 'intermediate' : toneOfSieve(text);
    return { bytes: raw.bytes, text, ending: raw.ending, tone, final, continued: raw.continued || undefined };
  }
}
