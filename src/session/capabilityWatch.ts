// Capability awareness: the latest capabilities, and warnings said once each — AUTH
// offered before TLS, no STARTTLS on a cleartext connection — plus the SIZE limit.
import type { Capabilities, ProtocolSpec } from '../protocols/types.js';
import type { Printer } from '../terminal/printer.js';
import { formatSize } from '../terminal/size.js';

export class CapabilityWatch {
  latest?: Capabilities;
  private readonly said = new Set<string>();

  constructor(
    private readonly protocol: ProtocolSpec,
    private readonly printer: Printer,
  ) {}

  update(capabilities: Capabilities, overTls: boolean): void {
    this.latest = capabilities;
    const { keywords } = capabilities;
    if (!overTls) {
      const loginOffered = this.protocol.offersPasswordLogin?.(capabilities) ?? false;
      if (capabilities.authMechanisms.length > 0 || loginOffered) {
        this.once('auth', 'the server offers authentication before TLS: a password sent now crosses the network in cleartext');
      }
      const startTls = this.protocol.startTlsKeyword;
      if (startTls && !keywords.has(startTls)) this.once('notls', `the server does not offer ${startTls}: this connection cannot be encrypted`);
    }
    const size = capabilities.params.get('SIZE')?.[0];
    if (size && /^\d+$/.test(size) && Number(size) > 0) {
      this.once(`size${size}`, `the server accepts messages up to ${formatSize(Number(size))} (SIZE ${size})`, true);
    }
  }

  /** TLS started: capabilities from before it no longer count. */
  forget(): void {
    this.latest = undefined;
  }

  private once(key: string, text: string, note = false): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    if (note) this.printer.note(text);
    else this.printer.warn(text);
  }
}
