// :send [FILE] and :mail FROM TO... — message content sent the way the protocol wants it
// (SMTP/LMTP DATA: CRLF and dot-stuffed; IMAP: APPEND literal), and the whole envelope
// in one go, stopping at the first step the server refuses.
import { readFileSync } from 'node:fs';
import { MailprobeError } from '../../errors.js';
import { appendMessage } from '../../protocols/imap/append.js';
import { isRefusal, replyLine, sendData, sendMessage, type Delivered, type Refusal } from '../../protocols/smtp/transaction.js';
import { formatSize } from '../../terminal/size.js';
import { testMessage } from '../../protocols/testMessage.js';
import { words, type Helper, type HelperContext } from './context.js';

/** "35 bytes", or "1.2 KiB (1234 bytes)". */
const sizeText = (bytes: number) => (bytes < 1024 ? formatSize(bytes) : `${formatSize(bytes)} (${bytes} bytes)`);

function loadMessage(context: HelperContext, file: string | undefined): Buffer {
  if (!file) {
    const from = context.envelope.from ?? `mailprobe@${context.dialogue.clientName.startsWith('[') ? 'localhost' : context.dialogue.clientName}`;
    const to = context.envelope.to.length > 0 ? context.envelope.to : [from];
    return testMessage(from, to, context.dialogue.clientName);
  }
  try {
    return readFileSync(file);
  } catch (error) {
    throw new MailprobeError('USAGE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** The refusal as an error naming the step (and, when no recipient was given, what to do). */
function refused(context: HelperContext, what: string, refusal: Refusal): MailprobeError {
  const noEnvelope = refusal.stage === 'DATA' && context.envelope.to.length === 0;
  const message = refusal.stage === 'DATA' ? `the server refused DATA: ${replyLine(refusal.reply)}` : `${what} stopped at ${refusal.stage}: the server answered ${replyLine(refusal.reply)}`;
  return new MailprobeError('PROTOCOL', message, {
    hint: noEnvelope ? 'no RCPT TO was accepted in this session: give MAIL FROM and RCPT TO first, or use :mail FROM TO' : undefined,
  });
}

/** `prefix`: "delivered: " where the whole transaction was mailprobe's (:mail). */
function delivered(context: HelperContext, outcome: Delivered, prefix = ''): void {
  context.printer.result(`sent ${sizeText(outcome.bytes)}, CRLF line endings, dot-stuffed`);
  if (outcome.queueIds.length === 0 && prefix) context.printer.result('delivered');
  for (const id of outcome.queueIds) context.printer.result(`${prefix}queued as ${id}`);
}

export const sendHelper: Helper = {
  name: 'send',
  usage: ':send [FILE] (IMAP: :send [FILE] [MAILBOX])',
  summary: 'send a message file (or a generated test message) as DATA, or IMAP APPEND',
  async run(context, args) {
    const [file, mailbox] = words(args);
    const message = loadMessage(context, file === '-' ? undefined : file);
    const { connection, protocol, dialogue } = context;
    if (protocol.submission === 'append') {
      const outcome = await appendMessage(connection, dialogue, mailbox ?? 'INBOX', message);
      if (!outcome.ok) throw new MailprobeError('PROTOCOL', `:send stopped at ${outcome.stage}: the server answered ${replyLine(outcome.reply)}`);
      context.printer.result(`appended ${sizeText(outcome.bytes)} to ${mailbox ?? 'INBOX'}`);
      return;
    }
    if (protocol.submission !== 'data') throw new MailprobeError('USAGE', `:send works in SMTP, LMTP and IMAP sessions, not ${protocol.label}`);
    const outcome = await sendData(connection, message);
    if (isRefusal(outcome)) throw refused(context, ':send', outcome);
    delivered(context, outcome);
  },
};

export const mailHelper: Helper = {
  name: 'mail',
  usage: ':mail FROM TO...',
  summary: 'MAIL FROM, RCPT TO each, DATA and a test message, stopping at the first refusal',
  async run(context, args) {
    const [from, ...to] = words(args).map((address) => address.replace(/^<(.*)>$/, '$1'));
    if (!from || to.length === 0) throw new MailprobeError('USAGE', `usage: ${mailHelper.usage}`);
    if (context.protocol.submission !== 'data') {
      throw new MailprobeError('USAGE', `:mail works in SMTP and LMTP sessions, not ${context.protocol.label}`);
    }
    context.envelope.from = from;
    context.envelope.to = [...to];
    const outcome = await sendMessage(context.connection, from, to, testMessage(from, to, context.dialogue.clientName));
    if (isRefusal(outcome)) throw refused(context, ':mail', outcome);
    delivered(context, outcome, 'delivered: ');
  },
};
