// -reconnect, as s_client: after the first connection, five more, each offering the newest
// session the server gave (a TLS 1.3 ticket, or a TLS 1.2 session id or ticket), each said
// resumed or not, each ended politely. The session then goes on over the first connection.
import { connectOffering } from '../client/resumeOnce.js';
import type { SessionOptions } from '../client/options.js';
import type { Printer } from '../terminal/printer.js';
import type { TlsInfo } from '../transport/handshake.js';

const RECONNECTS = 5;
/** How long a server has to close after the goodbye (the tickets arrive meanwhile). */
const FAREWELL_MS = 2_000;

/** How long to wait for a TLS 1.3 ticket that has not come yet (it follows the handshake). */
const TICKET_WAIT_MS = 1_000;

async function ticketOf(info: TlsInfo): Promise<Buffer | undefined> {
  for (let waited = 0; !info.latestSession && waited < TICKET_WAIT_MS; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return info.latestSession;
}

export async function reconnect(options: SessionOptions, first: TlsInfo, printer: Printer): Promise<void> {
  let session = await ticketOf(first);
  for (let i = 1; i <= RECONNECTS; i++) {
    const info = await connectOffering(options, session, FAREWELL_MS, options.timeoutMs);
    const what = !session ? 'new session (the server had given none to resume)' : info.session.resumed ? 'session resumed' : 'new session: the server did not resume the one offered';
    printer.note(`reconnect ${i} of ${RECONNECTS}: ${what}, ${info.protocol}, ${info.cipher}`);
    session = info.latestSession ?? session;
  }
}
