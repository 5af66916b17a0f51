// :send [FILE] and :mail FROM TO... — message content sent the way the protocol wants it
// (SMTP/LMTP DATA: CRLF and dot-stuffed; IMAP: APPEND literal), and the whole envelope
// in one go, stopping at the first step the server refuses.
import { readFileSync } from 'node:fs';
import { MailprobeError } from '../../errors.js';
import { parseImapLine } from '../../protocols/imap/response.js';
import { crlfContent, dataContent, queueId } from '../../protocols/smtp/data.js';
import { replyCode } from '../../protocols/smtp/reply.js';
import type { Reply } from '../../protocols/types.js';
import { formatSize } from '../capabilityWatch.js';
import { testMessage } from '../testMessage.js';
import { settle, words, type Helper, type HelperContext } from './context.js';

/** "35 bytes", or "1.2 KiB (1234 bytes)". */
const sizeText = (bytes: number) => (bytes < 1024 ? formatSize(bytes) : `${formatSize(bytes)} (${bytes} bytes)`);

const text = (reply: Reply) => reply.lines.map((line) => line.text).join(' / ');

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

/** DATA, the content, the final dot; returns the final replies (one per recipient in LMTP). */
async function smtpData(context: HelperContext, message: Buffer): Promise<Reply[]> {
  const { connection, printer } = context;
  connection.send('DATA');
  const go = await connection.reply('DATA');
  if (replyCode(go) !== 354) {
    const noEnvelope = context.envelope.to.length === 0;
    throw new MailprobeError('PROTOCOL', `the server refused DATA: ${text(go)}`, {
      hint: noEnvelope ? 'no RCPT TO was accepted in this session: give MAIL FROM and RCPT TO first, or use :mail FROM TO' : undefined,
    });
  }
  const content = dataContent(message);
  connection.sendRaw(content);
  printer.sent(`(message content: ${content.length} bytes)`, 'mailprobe', false);
  connection.send('.');
  const replies = await settle(context, 'end of DATA');
  printer.result(`sent ${sizeText(content.length)}, CRLF line endings, dot-stuffed`);
  return replies;
}

async function imapAppend(context: HelperContext, message: Buffer, mailbox: string): Promise<void> {
  const { connection, dialogue, printer } = context;
  const content = crlfContent(message);
  connection.send(`${dialogue.nextTag()} APPEND ${mailbox} {${content.length}}`);
  const go = await connection.reply('APPEND');
  if (parseImapLine(go.last.text).kind !== 'continuation') {
    throw new MailprobeError('PROTOCOL', `the server refused APPEND: ${text(go)}`);
  }
  connection.sendRaw(content);
  printer.sent(`(message literal: ${content.length} bytes)`, 'mailprobe', false);
  connection.send(''); // ends the APPEND command line
  const done = await connection.reply('APPEND');
  const parts = parseImapLine(done.last.text);
  if (parts.status === 'OK') printer.result(`appended ${sizeText(content.length)} to ${mailbox}`);
  else printer.warn(`APPEND failed: ${done.last.text}`);
}

export const sendHelper: Helper = {
  name: 'send',
  usage: ':send [FILE] (IMAP: :send [FILE] [MAILBOX])',
  summary: 'send a message file (or a generated test message) as DATA, or IMAP APPEND',
  async run(context, args) {
    const [file, mailbox] = words(args);
    const message = loadMessage(context, file === '-' ? undefined : file);
    if (context.protocol.name === 'imap') return imapAppend(context, message, mailbox ?? 'INBOX');
    if (context.protocol.name !== 'smtp' && context.protocol.name !== 'lmtp') {
      throw new MailprobeError('USAGE', `:send works in SMTP, LMTP and IMAP sessions, not ${context.protocol.label}`);
    }
    for (const reply of await smtpData(context, message)) {
      const id = queueId(reply.last.text);
      if (id) context.printer.result(`queued as ${id}`);
    }
  },
};

export const mailHelper: Helper = {
  name: 'mail',
  usage: ':mail FROM TO...',
  summary: 'MAIL FROM, RCPT TO each, DATA and a test message, stopping at the first refusal',
  async run(context, args) {
    const [from, ...to] = words(args).map((address) => address.replace(/^<(.*)>$/, '$1'));
    if (!from || to.length === 0) throw new MailprobeError('USAGE', `usage: ${mailHelper.usage}`);
    if (context.protocol.name !== 'smtp' && context.protocol.name !== 'lmtp') {
      throw new MailprobeError('USAGE', `:mail works in SMTP and LMTP sessions, not ${context.protocol.label}`);
    }
    const step = async (command: string, stage: string) => {
      context.connection.send(command);
      const reply = await context.connection.reply(stage);
      const code = replyCode(reply);
      if (code < 200 || code >= 300) {
        throw new MailprobeError('PROTOCOL', `:mail stopped at ${stage}: the server answered ${text(reply)}`);
      }
    };
    await step(`MAIL FROM:<${from}>`, 'MAIL FROM');
    for (const rcpt of to) await step(`RCPT TO:<${rcpt}>`, `RCPT TO:<${rcpt}>`);
    const replies = await smtpData(context, testMessage(from, to, context.dialogue.clientName));
    for (const reply of replies) {
      const code = replyCode(reply);
      if (code < 200 || code >= 300) throw new MailprobeError('PROTOCOL', `:mail stopped at the end of DATA: the server answered ${text(reply)}`);
      const id = queueId(reply.last.text);
      context.printer.result(id ? `delivered: queued as ${id}` : 'delivered');
    }
  },
};
