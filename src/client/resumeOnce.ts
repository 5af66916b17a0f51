// One more connection offering a saved TLS session, for -reconnect and check --resumption:
// nothing shown, no staple read, the handshake not followed, ended politely. By the time it
// returns, the newest session the server gave is in its TLS facts (a TLS 1.3 ticket follows
// the handshake, and comes while the goodbye is read).
import type { TlsInfo } from '../transport/handshake.js';
import { connectUnobserved } from './establish.js';
import { closeAfterGoodbye, goodbye } from './goodbye.js';
import type { SessionOptions } from './options.js';

export async function connectOffering(options: SessionOptions, session: Buffer | undefined, farewellMs: number): Promise<TlsInfo> {
  const { connection, context } = await connectUnobserved({ ...options, noEhlo: true, tls: { ...options.tls, session, status: false, inspectHandshake: false } }, { recognise: false });
  const info = connection.tls as TlsInfo;
  goodbye(connection, context);
  await closeAfterGoodbye(connection, farewellMs);
  return info;
}
