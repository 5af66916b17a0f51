// Registration (RFC 2812 §3.1): NICK and USER, in either order, and the server answers with
// 001 RPL_WELCOME — or with an error numeric, or ERROR as it hangs up. A piped session that
// sent both must wait for that answer before it goes on (and before its QUIT): InspIRCd
// welcomes a client about a second after USER, on its background timer, so a QUIT sent at
// once ends the connection before the welcome. A CAP LS or CAP REQ the user sends holds
// registration until CAP END (IRCv3), so no answer is awaited while one is open. A PING
// ends the wait too: servers with a PING cookie (InspIRCd's conn_waitpong, ratbox, Unreal)
// welcome no one who has not answered it, and answering is the user's business, not
// mailprobe's — so the session goes on rather than wait out -timeout, and the PONG the
// user sends then waits for the welcome again.
import { parseIrc } from './message.js';

export const RPL_WELCOME = '001';

/** Numerics that refuse NICK or USER during registration (RFC 2812 §5.2, 465 banned). */
const REFUSALS = new Set(['431', '432', '433', '436', '437', '461', '462', '463', '464', '465']);

/** Does this server line answer a registration: the welcome, a refusal, ERROR, or a PING to answer first? */
export function endsRegistration(text: string): boolean {
  const { command } = parseIrc(text);
  return command === RPL_WELCOME || command === 'ERROR' || command === 'PING' || REFUSALS.has(command);
}

/** What the client has sent towards registration; `sent` says when the answer is owed. */
export class Registration {
  private nick = false;
  private user = false;
  private capOpen = false;
  private welcomed = false;

  /** A client line went out; true when it completes NICK + USER (no CAP open), or answers a PING after them, and the answer is now owed. */
  sent(line: string): boolean {
    if (this.welcomed) return false;
    const { command, params } = parseIrc(line);
    const sub = (params[0] ?? '').toUpperCase();
    if (command === 'NICK') this.nick = true;
    else if (command === 'USER') this.user = true;
    else if (command === 'CAP' && (sub === 'LS' || sub === 'REQ')) this.capOpen = true;
    else if (command === 'CAP' && sub === 'END') this.capOpen = false;
    else if (command !== 'PONG') return false;
    return this.nick && this.user && !this.capOpen;
  }

  /** A server line came (the welcome ends registration for good). */
  heard(text: string): void {
    if (parseIrc(text).command === RPL_WELCOME) this.welcomed = true;
  }
}
