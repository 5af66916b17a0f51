// How the connection core's events look in a session: notes, the TLS report, echo of sent
// lines and the dialogue's server lines, all through the Printer.
import type { ConnectionObserver } from '../client/events.js';
import { PORT_DEFAULTS } from '../protocols/registry.js';
import type { SessionOptions } from '../client/options.js';
import type { Printer } from '../terminal/printer.js';
import { formatBriefTls, formatCertChain, formatTlsReport } from '../terminal/tlsReport.js';
import type { TlsInfo } from '../transport/handshake.js';
import { formatTlsTrace } from '../terminal/tlsTrace.js';

export const GREETING_WAIT_NOTE =
  'no greeting yet: mailprobe waits for the server to speak first and never talks first (servers with greet-pause delay on purpose)';

/**
 * The TLS report: in full, one line with -brief, none with -quiet. -showcerts is asked for
 * explicitly, so the PEM chain is printed in every mode (after the one line with -brief,
 * alone with -quiet).
 */
export function showTls(info: TlsInfo, printer: Printer, options: SessionOptions): void {
  if (!options.quiet && !options.brief) return printer.lines(formatTlsReport(info, printer.palette, { showCerts: options.showCerts }));
  const lines = options.quiet ? [] : [formatBriefTls(info, printer.palette)];
  if (options.showCerts) lines.push(...formatCertChain(info, printer.palette));
  printer.lines(lines);
}

export interface SessionObserver extends ConnectionObserver {
  /** The session reads along from now on: what follows is the user's session, shown. */
  sessionStarts(): void;
}

/**
 * -quiet hides the dialogue mailprobe runs itself before the session (greeting, EHLO,
 * STARTTLS, EHLO again): its lines are not shown but still reach the transcript, which
 * records the wire whatever the display hides. The connection reports every line; what
 * is shown is decided here.
 */
export function sessionObserver(printer: Printer, options: SessionOptions): SessionObserver {
  let hideDialogue = options.quiet;
  return {
    sessionStarts: () => {
      hideDialogue = false;
    },
    sent: (shown, by, echo) => printer.sent(shown, by, echo && !(hideDialogue && by === 'mailprobe')),
    lines: (lines) => (hideDialogue ? printer.recorded(lines) : printer.server(lines)),
    event(event) {
      switch (event.kind) {
        case 'connecting':
          return printer.note(`connecting to ${event.where} (${event.mode})`);
        case 'connected':
          return printer.note(`connected to ${event.address}`);
        case 'greeting-slow':
          // Silence on a port where TLS comes first (465, 993, 995) is a server waiting for a
          // ClientHello, not a greet-pause.
          if (options.mode !== 'tls' && PORT_DEFAULTS.get(options.port)?.mode === 'tls') {
            return printer.warn(`no greeting yet: port ${options.port} usually expects TLS from the start; try -tls`);
          }
          return printer.note(GREETING_WAIT_NOTE);
        case 'recognised':
          return printer.note(`port ${event.port}: the greeting is ${event.protocol.label}'s, so mailprobe speaks ${event.protocol.label} (as with -proto ${event.protocol.name})`);
        case 'unrecognised':
          return printer.note(`port ${event.port}: no greeting mailprobe knows, so lines go out as typed, without waiting for replies (-proto PROTO names the protocol)`);
        case 'starttls-accepted':
          return printer.note('STARTTLS accepted; starting the TLS handshake');
        case 'tls':
          printer.tls = true;
          return showTls(event.info, printer, options);
        case 'tls-trace':
          return printer.lines(formatTlsTrace(event.event, printer.palette));
        case 'nested-starttls':
          return printer.warn('the connection is already encrypted: mailprobe will not start TLS inside TLS');
        case 'dialogue-warning':
          return printer.warn(event.text);
      }
    },
  };
}
