// The LDAP StartTLS operation (RFC 4511 §4.14, RFC 4513 §3): an ExtendedRequest with the
// StartTLS OID is the first thing sent (LDAP servers do not greet), and only an
// ExtendedResponse to that messageID with resultCode success is the go-ahead.
import { MailprobeError, protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { emptyCapabilities } from '../capabilities.js';
import type { Capabilities, Exchange, Reply } from '../types.js';
import { OP, STARTTLS_OID, startTlsRequest } from './message.js';
import { answer, answers, carriesNotice, lastMessage, replyText } from './reply.js';
import { resultName } from './resultCodes.js';

/**
 * The messageIDs mailprobe uses: fixed, as the dialogue is always the same (StartTLS when
 * asked, one search, unbind), so transcripts compare.
 */
export const MESSAGE_ID = { startTls: 1, search: 2, unbind: 3 } as const;

/** Why a server refuses StartTLS, by result code (RFC 4511 §4.14.2). */
const HINTS: Readonly<Record<number, string>> = {
  // OpenLDAP answers 2 "unsupported extended operation" when no TLS certificate is set up.
  2: 'the server does not support StartTLS here (often no TLS certificate is configured); try -tls (ldaps, port 636), or -plain for a cleartext session',
  1: 'operationsError: the server has operations outstanding or TLS is already established',
  52: 'unavailable: the server cannot start TLS now (often a missing or unreadable certificate)',
};

export function isStartTlsGoAhead(reply: Reply): boolean {
  const message = lastMessage(reply);
  if (!message || message.id !== MESSAGE_ID.startTls || message.tag !== OP.extendedResp || message.op.kind !== 'result') return false;
  // RFC 4511 §4.14.2: the responseName, when present, is the StartTLS OID.
  const name = message.op.responseName;
  return message.op.result.code === 0 && (name === undefined || name === STARTTLS_OID) && !carriesNotice(reply);
}

export async function ldapStartTls(exchange: Exchange): Promise<Capabilities> {
  exchange.sendMessage(startTlsRequest(MESSAGE_ID.startTls), `extendedReq #${MESSAGE_ID.startTls} StartTLS (${STARTTLS_OID})`, { startTls: true });
  const reply = await exchange.reply('StartTLS').catch((error: unknown) => {
    // An ldaps port takes the request for a broken ClientHello and closes without a word.
    if (error instanceof MailprobeError && error.code === 'SERVER_CLOSED') {
      throw serverClosed('the server closed the connection instead of answering StartTLS', {
        cause: error,
        hint: 'a port that speaks implicit TLS (ldaps, 636) closes on a plaintext request: try -tls',
      });
    }
    throw error;
  });
  const result = answer(reply, MESSAGE_ID.startTls, answers.extended, 'StartTLS', (message) =>
    new MailprobeError(
      'STARTTLS_INJECTION',
      `the server sent a response to a request mailprobe never sent (messageID ${message.id}) before answering StartTLS (STARTTLS response injection), so mailprobe stops before TLS`,
      { reply: replyText(reply), hint: 'someone between you and the server may be tampering with the connection' },
    ),
  );
  if (result.code !== 0) {
    throw startTlsUnavailable(`the server refused StartTLS: ${resultName(result.code)}${result.diagnostic ? ` "${result.diagnostic}"` : ''}, so mailprobe stops`, {
      command: 'StartTLS',
      reply: replyText(reply),
      hint: HINTS[result.code] ?? 'use -tls (ldaps, port 636) for implicit TLS, or -plain for a cleartext session',
    });
  }
  if (!isStartTlsGoAhead(reply)) throw protocolError('the server answered StartTLS with the response of another extended operation', { reply: replyText(reply) });
  return emptyCapabilities();
}
