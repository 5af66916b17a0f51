// One more connection offering a saved TLS session, for -reconnect and check --resumption:
// nothing shown, no staple read, the handshake not followed, ended politely. By the time it
// returns, the newest session the server gave is in its TLS facts (a TLS 1.3 ticket follows
// the handshake, and comes while the goodbye is read).
import type { TLSSocket } from 'node:tls';
import type { TlsInfo } from '../transport/handshake.js';
import { connectUnobserved } from './establish.js';
import { closeAfterGoodbye, goodbye } from './goodbye.js';
import type { SessionOptions } from './options.js';

/**
 * `sessionWaitMs`: when the server has given no session by the end of the handshake, how long
 * to wait for one after the goodbye (absent: not waited for).
 */
export async function connectOffering(options: SessionOptions, session: Buffer | undefined, farewellMs: number, sessionWaitMs?: number): Promise<TlsInfo> {
  const { connection, context } = await connectUnobserved({ ...options, noEhlo: true, tls: { ...options.tls, session, status: false, inspectHandshake: false } }, { recognise: false });
  const info = connection.tls as TlsInfo;
  goodbye(connection, context);
  if (sessionWaitMs !== undefined && !info.latestSession && !connection.closed) await sessionSettled(connection.socket as TLSSocket, sessionWaitMs);
  await closeAfterGoodbye(connection, farewellMs);
  return info;
}

/**
 * Resolves once the sessions the server hands out after the handshake are all in, at most
 * `ms` from now: a TLS 1.3 server sends its tickets ahead of anything else it says, so a
 * ticket, the server's next bytes (its greeting or the reply to the goodbye) or its close
 * each end the wait. A busy server may take seconds; a fixed second lost its ticket.
 */
function sessionSettled(socket: TLSSocket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      for (const event of ['session', 'data', 'close'] as const) socket.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const event of ['session', 'data', 'close'] as const) socket.once(event, done);
  });
}
