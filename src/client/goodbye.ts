// Ending a connection politely: the protocol's goodbye (a quit line, or a message such as
// LDAP's unbind), then, where mailprobe waits, a half-close and a bounded wait for the
// server to close too.
import type { DialogueContext } from '../protocols/types.js';
import type { ServerConnection } from './connection.js';

/** The protocol's goodbye message (LDAP unbind), else its quit line. */
export function goodbye(connection: ServerConnection, context: DialogueContext): void {
  if (connection.closed) return;
  const { protocol } = connection;
  if (protocol.farewell) return protocol.farewell(connection, context);
  const quit = protocol.quitCommand(context);
  if (quit) connection.send(quit);
}

/** After a goodbye: half-closes and waits, at most `ms`, for the server to close too. */
export function closeAfterGoodbye(connection: ServerConnection, ms: number): Promise<void> {
  if (connection.closed) return Promise.resolve();
  const { socket } = connection;
  socket.end();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      connection.close();
      resolve();
    }, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
