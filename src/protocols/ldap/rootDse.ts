// After TLS (or with -tls/-plain) LDAP has no line session: mailprobe reads the RootDSE
// anonymously (RFC 4512 §5.1) — what the server holds and speaks — and shows it, one
// attribute value a line. A refused read is shown, not fatal: TLS already did its part.
import { protocolError } from '../../errors.js';
import type { Exchange } from '../types.js';
import { searchRequest, unbindRequest } from './message.js';
import { answer, answers, replyText } from './reply.js';
import { MESSAGE_ID } from './starttls.js';

export const ROOT_DSE_ATTRIBUTES = ['namingContexts', 'supportedSASLMechanisms', 'supportedLDAPVersion', 'supportedExtension'] as const;

export async function readRootDse(exchange: Exchange): Promise<void> {
  const id = MESSAGE_ID.search;
  exchange.sendMessage(
    searchRequest(id, '', 'baseObject', 'objectClass', ROOT_DSE_ATTRIBUTES),
    `searchRequest #${id} base "" scope baseObject filter (objectClass=*) attributes ${ROOT_DSE_ATTRIBUTES.join(' ')}`,
  );
  const reply = await exchange.reply('RootDSE search');
  answer(reply, id, answers.search, 'the RootDSE search', (message) =>
    protocolError(`the server sent a response to a request mailprobe never sent (messageID ${message.id}) instead of answering the RootDSE search`, {
      reply: replyText(reply),
    }),
  );
}

/** UnbindRequest: the polite end (RFC 4511 §4.3); the server answers it by closing. */
export function unbind(exchange: Exchange): void {
  exchange.sendMessage(unbindRequest(MESSAGE_ID.unbind), `unbindRequest #${MESSAGE_ID.unbind}`);
}
