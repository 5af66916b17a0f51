// The one SMTP/LMTP mail transaction (RFC 5321 §3.3, RFC 2033 §4.2): MAIL FROM, RCPT TO for
// each recipient, DATA, the content CRLF-ended and dot-stuffed, the final dot — stopping at
// the first step the server refuses and naming it. LMTP answers the dot once per accepted
// recipient (the framer counts them; `unread` says how many are still to be read). Used by :mail,
// :send, check --send and check --relay-test.
import type { Exchange, Reply } from '../types.js';
import { dataContent, queueId } from './data.js';
import { replyCode } from './reply.js';

export interface MessageExchange extends Exchange {
  /** Message content, already framed. */
  sendRaw(bytes: Buffer): void;
  /**
   * Replies not yet read: owed by the server, or received and not taken (one per accepted
   * recipient after an LMTP dot; several may arrive in one write).
   */
  readonly unread: number;
}

/** Where a transaction stopped, and the reply that stopped it. */
export interface Refusal {
  stage: string;
  reply: Reply;
}

export interface Delivered {
  /** The final replies (one per recipient in LMTP). */
  finals: Reply[];
  /** Queue ids named in the final replies. */
  queueIds: string[];
  /** Bytes of content sent, after CRLF and dot-stuffing. */
  bytes: number;
}

/** `MAIL FROM:<a>` starts an envelope, `RCPT TO:<b>` adds a recipient (for :send's test message). */
export function envelopeOf(line: string): { from: string } | { to: string } | undefined {
  const from = /^MAIL FROM:\s*<([^>]*)>/i.exec(line);
  if (from) return { from: from[1] };
  const to = /^RCPT TO:\s*<([^>]*)>/i.exec(line);
  return to ? { to: to[1] } : undefined;
}

const positive = (reply: Reply) => replyCode(reply) >= 200 && replyCode(reply) < 300;

async function step(exchange: Exchange, command: string, stage: string): Promise<Reply> {
  exchange.send(command);
  return exchange.reply(stage);
}

/** MAIL FROM and RCPT TO each; the first refusal, or undefined when every step was accepted. */
export async function sendEnvelope(exchange: Exchange, from: string, to: string[]): Promise<Refusal | undefined> {
  const mail = await step(exchange, `MAIL FROM:<${from}>`, 'MAIL FROM');
  if (!positive(mail)) return { stage: 'MAIL FROM', reply: mail };
  for (const address of to) {
    const stage = `RCPT TO:<${address}>`;
    const rcpt = await step(exchange, stage, stage);
    if (!positive(rcpt)) return { stage, reply: rcpt };
  }
  return undefined;
}

/** DATA, the content and the final dot; a refusal of DATA, or of the message itself. */
export async function sendData(exchange: MessageExchange, message: Buffer): Promise<Refusal | Delivered> {
  const go = await step(exchange, 'DATA', 'DATA');
  // Anything but 354 is a refusal: a 250 to DATA means no content was taken.
  if (replyCode(go) !== 354) return { stage: 'DATA', reply: go };
  const content = dataContent(message);
  exchange.sendRaw(content);
  exchange.send('.');
  const finals: Reply[] = [];
  do finals.push(await exchange.reply('end of DATA'));
  while (exchange.unread > 0);
  const refused = finals.find((reply) => !positive(reply));
  if (refused) return { stage: 'end of DATA', reply: refused };
  return { finals, queueIds: finals.map((reply) => queueId(reply.last.text)).filter((id) => id !== undefined), bytes: content.length };
}

/** A whole transaction. */
export async function sendMessage(exchange: MessageExchange, from: string, to: string[], message: Buffer): Promise<Refusal | Delivered> {
  return (await sendEnvelope(exchange, from, to)) ?? sendData(exchange, message);
}

export const isRefusal = (outcome: Refusal | Delivered): outcome is Refusal => 'stage' in outcome;

export const replyLine = (reply: Reply) => reply.lines.map((line) => line.text).join(' / ');
