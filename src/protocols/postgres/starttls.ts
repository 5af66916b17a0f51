// PostgreSQL's TLS request ("SSL Session Encryption" in the protocol chapter of the docs):
// the client sends an 8-byte SSLRequest before anything else; the server answers one byte,
// S (go ahead with the TLS handshake) or N (no TLS). A server older than SSL support
// answers with an ErrorResponse. Nothing the server sends after the S may be read before
// the handshake (CVE-2021-23222): the connection core stops on any such byte (exit 10).
import { MailprobeError, protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { emptyCapabilities } from '../capabilities.js';
import type { Capabilities, Exchange, Reply } from '../types.js';
import { describeResponse, sslRequest, SSL_ANSWER } from './messages.js';

const NO_TLS_HINT = 'use -plain -proto postgres for a cleartext connection (PostgreSQL 17 also takes direct TLS: -tls -proto postgres)';

/** Is this reply the one-byte S that lets the TLS handshake start? */
export function isSslAccepted(reply: Reply): boolean {
  return reply.last.bytes.length === 1 && reply.last.bytes[0] === SSL_ANSWER.accepted;
}

export async function postgresStartTls(exchange: Exchange): Promise<Capabilities> {
  exchange.sendMessage(sslRequest(), 'SSLRequest', { startTls: true });
  const reply = await exchange.reply('SSLRequest').catch((error: unknown) => {
    // A TLS-only port (direct TLS) reads the SSLRequest as a broken ClientHello and hangs up.
    if (!(error instanceof MailprobeError && error.code === 'SERVER_CLOSED')) throw error;
    throw serverClosed('the server closed the connection without answering the SSLRequest', {
      hint: 'it may not speak PostgreSQL here, or may want TLS at once (PostgreSQL 17 direct TLS: -tls -proto postgres)',
    });
  });
  if (isSslAccepted(reply)) return emptyCapabilities();
  const last = reply.last;
  if (last.bytes.length === 1 && last.bytes[0] === SSL_ANSWER.refused) {
    throw startTlsUnavailable('the server does not offer TLS: it answered the SSLRequest with N, so mailprobe stops', {
      command: 'SSLRequest',
      hint: `the server runs with ssl = off; ${NO_TLS_HINT}`,
    });
  }
  if (last.tone !== 'malformed' && last.bytes[0] === SSL_ANSWER.error) {
    // Only a server that predates SSL support answers an SSLRequest with an error: it offers no TLS.
    throw startTlsUnavailable('the server answered the SSLRequest with an error, so it offers no TLS and mailprobe stops', {
      command: 'SSLRequest',
      reply: describeResponse(last.bytes.subarray(5)),
      hint: 'only a PostgreSQL server older than SSL support answers so',
    });
  }
  throw protocolError('the server did not answer the SSLRequest with S or N: it does not speak PostgreSQL here, so mailprobe stops', {
    command: 'SSLRequest',
    bytes: last.bytes.subarray(0, 64),
    hint: 'check the port (PostgreSQL listens on 5432)',
  });
}
