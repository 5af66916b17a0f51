// IMAP APPEND (RFC 3501 §6.3.11): the message as a synchronising literal, CRLF line endings,
// sent once the server invites it with "+".
import { crlfContent } from '../smtp/data.js';
import type { DialogueContext, Reply } from '../types.js';
import type { MessageExchange } from '../smtp/transaction.js';
import { imapString } from './auth.js';
import { parseImapLine } from './response.js';

export type AppendOutcome = { ok: boolean; stage: 'APPEND' | 'end of APPEND'; reply: Reply; bytes: number };

export async function appendMessage(exchange: MessageExchange, context: DialogueContext, mailbox: string, message: Buffer): Promise<AppendOutcome> {
  const content = crlfContent(message);
  exchange.send(`${context.nextTag()} APPEND ${imapString(mailbox)} {${content.length}}`);
  const go = await exchange.reply('APPEND');
  if (parseImapLine(go.last.text).kind !== 'continuation') return { ok: false, stage: 'APPEND', reply: go, bytes: 0 };
  exchange.sendRaw(content);
  exchange.send(''); // ends the APPEND command line
  const done = await exchange.reply('APPEND');
  return { ok: parseImapLine(done.last.text).status === 'OK', stage: 'end of APPEND', reply: done, bytes: content.length };
}
