// The transcript of `mailprobe send`, with swaks' marks: `->` sent and `<-` received in
// cleartext, `~>` and `<~` the same inside TLS, `***` mailprobe's own notes. Server bytes
// and message content go through the one escaper; the connection core has already put
// [redacted] in place of credentials in what it reports as sent.
import type { ClientEvent, ConnectionObserver } from '../client/events.js';
import type { ServerLine } from '../protocols/types.js';
import { escapeBytes, escapeText } from '../terminal/escape.js';
import type { Printer } from '../terminal/printer.js';
import { safe, type SafeText } from '../terminal/safeText.js';
import { formatSize } from '../terminal/size.js';

export interface SendObserver extends ConnectionObserver {
  /** Traffic goes inside TLS from now on. */
  readonly inTls: boolean;
  note(text: string): void;
  /** Message content as it goes out, or its size alone (--suppress-data). */
  content(bytes: Buffer, suppressed: boolean): void;
  /** Called with every line sent, before it is shown (the run tracks its stage by it). */
  onSent?: (line: string) => void;
}

export function sendObserver(printer: Printer): SendObserver {
  let tls = false;
  const { palette } = printer;
  const mark = (plain: string, inTls: string) => (tls ? inTls : plain) as SafeText;
  const observer: SendObserver = {
    get inTls() {
      return tls;
    },
    note(text) {
      printer.lines([palette.note(safe`*** ${escapeText(text, palette.escape)}`)]);
    },
    sent(shown) {
      observer.onSent?.(shown);
      printer.lines([palette.sent(safe`${mark('->', '~>')} ${escapeText(shown, palette.escape)}`)]);
    },
    lines(lines: ServerLine[]) {
      printer.lines(lines.map((line) => safe`${mark('<-', '<~')} ${printer.formatServer(line)}`));
    },
    event(event: ClientEvent) {
      const text = describe(event);
      if (event.kind === 'tls') tls = true;
      if (text) observer.note(text);
    },
    content(bytes, suppressed) {
      const text = bytes.toString('latin1');
      const lines = text.endsWith('\r\n') ? text.slice(0, -2).split('\r\n') : text.split('\r\n');
      if (suppressed) {
        const size = bytes.length < 1024 ? formatSize(bytes.length) : `${formatSize(bytes.length)} (${bytes.length} bytes)`;
        observer.note(`message content not shown (--suppress-data): ${size}, ${lines.length} lines`);
        return;
      }
      printer.lines(lines.map((line) => palette.sent(safe`${mark('->', '~>')} ${escapeBytes(Buffer.from(line, 'latin1'), palette.escape)}`)));
    },
  };
  return observer;
}

function describe(event: ClientEvent): string | undefined {
  switch (event.kind) {
    case 'connecting':
      return `Trying ${event.where} (${event.mode})...`;
    case 'connected':
      return `Connected to ${event.address}.`;
    case 'greeting-slow':
      return 'no banner yet: some servers wait on purpose before greeting';
    case 'tls': {
      const { info } = event;
      const verdict = info.verdict.verified ? 'certificate verified' : `certificate NOT verified: ${info.verdict.reasons.join('; ')}`;
      return `TLS started: ${info.protocol} ${info.cipher}; ${verdict}`;
    }
    case 'starttls-accepted':
      return 'Starting TLS...';
    default:
      return undefined;
  }
}
