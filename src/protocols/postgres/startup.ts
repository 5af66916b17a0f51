// What mailprobe does once connected (and upgraded): with -name USER, a StartupMessage and
// the server's answer shown — how it wants USER to authenticate, or why it refuses — and
// never a password; without, nothing. Then the goodbye, which depends on where the
// startup got to:
//
//   NOT_STARTED      no StartupMessage sent: closing the socket is the clean end (the
//                    server logs nothing for a client that leaves before its startup
//                    packet; a Terminate here would be read as a startup packet of absurd
//                    length and logged as invalid).
//   AUTH_REQUESTED   the server waits for a password: closing is again clean (it logs
//                    nothing when the client leaves instead of answering).
//   READY            ReadyForQuery (trust authentication): Terminate, as psql sends.
//   ENDED            an ErrorResponse: the server has closed already.
import { protocolError } from '../../errors.js';
import type { DialogueContext, Exchange } from '../types.js';
import { startupMessage, terminate } from './messages.js';

export type StartupState = 'NOT_STARTED' | 'AUTH_REQUESTED' | 'READY' | 'ENDED';

/** Each connection's startup state, for its goodbye (the spec is shared by all connections). */
const states = new WeakMap<Exchange, StartupState>();

export async function postgresStartup(exchange: Exchange, context: DialogueContext): Promise<void> {
  const user = context.givenName;
  if (!user) return;
  exchange.sendMessage(startupMessage(user), `StartupMessage protocol 3.0, user ${user}, database ${user}`);
  states.set(exchange, 'ENDED');
  const reply = await exchange.reply('StartupMessage');
  const last = reply.last;
  if (last.tone === 'malformed') {
    throw protocolError('the server answered the StartupMessage with a malformed message, so mailprobe stops', {
      command: 'StartupMessage',
      reply: last.shown,
      bytes: last.bytes.subarray(0, 64),
    });
  }
  const type = last.bytes[0];
  if (type === 0x52) states.set(exchange, 'AUTH_REQUESTED');
  else if (type === 0x5a) states.set(exchange, 'READY');
}

export function postgresFarewell(exchange: Exchange): void {
  const state = states.get(exchange) ?? 'NOT_STARTED';
  states.delete(exchange);
  if (state === 'READY') exchange.sendMessage(terminate(), 'Terminate');
}
