// What a complete reply (the lines of one LDAP response) says: the message that ended it,
// decoded again from its raw bytes, and whether a Notice of Disconnection came with it.
import { protocolError, serverClosed, MailprobeError } from '../../errors.js';
import type { Reply } from '../types.js';
import { BerError } from './ber.js';
import { decodeMessage, OP, type LdapMessage, type LdapResult } from './message.js';
import { isNoticeOfDisconnection } from './render.js';

/** The reply as shown, one message line a line, for error details. */
export const replyText = (reply: Reply): string => reply.lines.map((line) => line.shown ?? line.text).join('\n');

/** The LDAPMessages of a reply (the lines that carry bytes); malformed ones left out. */
function messagesOf(reply: Reply): LdapMessage[] {
  return reply.lines.flatMap((line) => {
    if (line.bytes.length === 0 || line.tone === 'malformed') return [];
    try {
      return [decodeMessage(line.bytes)];
    } catch {
      return [];
    }
  });
}

/** The raw bytes of the message that ended the reply (an entry's last line is one of its values). */
const lastBytes = (reply: Reply): Buffer => [...reply.lines].reverse().find((line) => line.bytes.length > 0)?.bytes ?? reply.last.bytes;

/** The message that ended the reply, or undefined when it is malformed. */
export function lastMessage(reply: Reply): LdapMessage | undefined {
  try {
    return decodeMessage(lastBytes(reply));
  } catch (error) {
    if (error instanceof BerError) return undefined;
    throw error;
  }
}

/** A Notice of Disconnection came in this reply: the server is going away (RFC 4511 §4.4.1). */
export const carriesNotice = (reply: Reply): boolean => messagesOf(reply).some(isNoticeOfDisconnection);

/**
 * The LDAPResult that answers request `id` with protocolOp `tag`, or a MailprobeError for
 * anything else: a Notice of Disconnection (the server is going away), malformed BER, a
 * response to another request, or the wrong kind of response. `stray` makes the error for a
 * response to a request never sent (STARTTLS injection before TLS, a protocol error after).
 */
export function answer(reply: Reply, id: number, tag: number, what: string, stray: (message: LdapMessage) => MailprobeError): LdapResult {
  if (carriesNotice(reply)) {
    throw serverClosed(`the server sent a Notice of Disconnection instead of answering ${what}`, { reply: replyText(reply) });
  }
  const message = lastMessage(reply);
  if (!message) {
    const start = lastBytes(reply).subarray(0, 64);
    // A text greeting (an SMTP or IMAP port) where BER belongs: LDAP servers never speak first.
    const text = start.length > 0 && /^[\x20-\x7e\r\n\t]+$/.test(start.toString('latin1'));
    throw protocolError(`the server answered ${what} with malformed BER, so mailprobe stops`, {
      reply: replyText(reply),
      bytes: start,
      hint: text ? 'the server sent text, not BER: this port may speak another protocol (LDAP servers never speak first)' : undefined,
    });
  }
  if (message.id !== id) throw stray(message);
  if (message.tag !== tag || message.op.kind !== 'result') {
    throw protocolError(`the server answered ${what} with an unexpected message`, { reply: replyText(reply) });
  }
  return message.op.result;
}

export const answers = { extended: OP.extendedResp, search: OP.searchResDone } as const;
