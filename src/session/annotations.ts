// Help that needs no command: base64 challenges decoded next to the raw line, and IMAP
// tagged completions matched to the command they finish (with how long it took).
import { decodeBase64Strict, describeDecoded } from '../sasl/index.js';
import { escapeText } from '../terminal/escape.js';
import type { ProtocolSpec, ServerLine } from '../protocols/types.js';

export function describeChallenge(base64: string): string {
  if (base64 === '') return '→ (empty challenge)';
  const bytes = decodeBase64Strict(base64);
  if (!bytes) return '→ (not valid base64)';
  const decoded = describeDecoded(bytes);
  // The decoded text is the server's: escaped like everything else it sends.
  return decoded.kind === 'text' ? `→ ${escapeText(JSON.stringify(decoded.text))}` : `→ binary: ${decoded.hex}`;
}

/** A SASL challenge's text ("Username:" in AUTH LOGIN), when the line is one and decodes to text. */
export function challengeText(protocol: ProtocolSpec, line: ServerLine): string | undefined {
  const challenge = protocol.challengeOf?.(line);
  const bytes = challenge ? decodeBase64Strict(challenge) : undefined;
  const decoded = bytes ? describeDecoded(bytes) : undefined;
  return decoded?.kind === 'text' ? decoded.text : undefined;
}

export class Annotator {
  private readonly tags = new Map<string, { verb: string; at: number }>();

  constructor(private readonly protocol: ProtocolSpec) {}

  /** Remembers an IMAP command's tag when it is sent. */
  sent(wire: string): void {
    if (!this.protocol.tagsCommands) return;
    const [tag, verb] = wire.trim().split(/\s+/);
    if (tag && verb && tag !== '*' && tag !== '+') this.tags.set(tag, { verb: verb.toUpperCase(), at: Date.now() });
  }

  annotate = (line: ServerLine): string | undefined => {
    if (line.literal || line.continued) return undefined;
    const challenge = this.protocol.challengeOf?.(line);
    // SMTP's 334 is only ever a SASL challenge; a "+" may just invite literal data.
    if (challenge !== undefined && (this.protocol.challengesAreSasl || decodeBase64Strict(challenge))) {
      return describeChallenge(challenge);
    }
    const tag = this.protocol.completionTag?.(line.text);
    if (!tag) return undefined;
    const command = this.tags.get(tag);
    if (!command) return undefined;
    this.tags.delete(tag);
    return `(${command.verb}, ${Date.now() - command.at} ms)`;
  };
}
