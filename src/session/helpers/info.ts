// :tls, :cert, :caps, :quit and :help.
import { MailprobeError } from '../../errors.js';
import { escapeText } from '../../terminal/escape.js';
import { safe } from '../../terminal/safeText.js';
import { formatTlsReport } from '../../terminal/tlsReport.js';
import type { Helper, HelperContext } from './context.js';

function tlsInfo(context: HelperContext) {
  const info = context.connection.tls;
  if (!info) throw new MailprobeError('USAGE', 'this connection is not encrypted: there is no TLS report', { hint: 'type STARTTLS (STLS in POP3) to upgrade it' });
  return info;
}

export const tlsHelper: Helper = {
  name: 'tls',
  usage: ':tls',
  summary: 'show the TLS report again',
  async run(context) {
    context.printer.lines(formatTlsReport(tlsInfo(context), context.printer.palette));
  },
};

export const certHelper: Helper = {
  name: 'cert',
  usage: ':cert',
  summary: 'show the certificate report and the PEM chain',
  async run(context) {
    const lines = formatTlsReport(tlsInfo(context), context.printer.palette, { showCerts: true });
    const start = lines.findIndex((line) => line.includes('Certificate'));
    context.printer.lines(lines.slice(Math.max(0, start)));
  },
};

export const capsHelper: Helper = {
  name: 'caps',
  usage: ':caps',
  summary: 'show the capabilities the server announced last',
  async run(context) {
    const latest = context.capabilities.latest;
    if (!latest) {
      const ask = context.protocol.capabilityCommand?.({ ...context.dialogue, nextTag: () => 'a1' });
      throw new MailprobeError('USAGE', 'no capabilities seen yet', { hint: ask ? `send ${ask.replace(/^a1 /, '')} first` : undefined });
    }
    // Keywords and parameters are the server's words: escaped like everything it sends.
    const escape = (text: string) => escapeText(text, context.printer.palette.escape);
    const lines = [...latest.keywords].map((keyword) => {
      const params = latest.params.get(keyword) ?? [];
      return params.length ? safe`  ${escape(keyword)} ${escape(params.join(' '))}` : safe`  ${escape(keyword)}`;
    });
    context.printer.lines([context.connection.tls ? safe`capabilities (over TLS):` : safe`capabilities (in cleartext):`, ...lines]);
  },
};

export const quitHelper: Helper = {
  name: 'quit',
  usage: ':quit',
  summary: 'say QUIT/LOGOUT politely and exit',
  async run(context) {
    await context.quit();
  },
};

export function helpHelper(all: () => Helper[]): Helper {
  return {
    name: 'help',
    usage: ':help',
    summary: 'list the helper commands',
    async run(context) {
      const helpers = all();
      const width = Math.max(...helpers.map((h) => h.usage.length));
      context.printer.lines([
        safe`helper commands (a line starting with "::" sends ":" and the rest verbatim; -raw turns helpers off):`,
        ...helpers.map((h) => escapeText(`  ${h.usage.padEnd(width)}  ${h.summary}`)),
      ]);
    },
  };
}
