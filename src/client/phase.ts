// The one state of a connection to a server, with the moves allowed between states:
//
//   plaintext / STARTTLS:  GREETING → READY ⇄ STARTTLS_REPLY → HANDSHAKE → READY → QUITTING → CLOSED
//   implicit TLS:          HANDSHAKE → GREETING → READY → …
//
// STARTTLS_REPLY: a STARTTLS went out and its reply has not come. HANDSHAKE: the server said
// go ahead (or implicit TLS), so no plaintext byte is read as server output any more. Message
// content (SMTP DATA) is the framer's state inside READY, not a phase of the connection.
import { MailprobeError } from '../errors.js';

export type Phase = 'GREETING' | 'READY' | 'STARTTLS_REPLY' | 'HANDSHAKE' | 'QUITTING' | 'CLOSED';

const MOVES: Record<Phase, readonly Phase[]> = {
  GREETING: ['READY', 'STARTTLS_REPLY', 'QUITTING', 'CLOSED'],
  READY: ['STARTTLS_REPLY', 'QUITTING', 'CLOSED'],
  // Refused: back to READY; go-ahead: HANDSHAKE.
  STARTTLS_REPLY: ['READY', 'HANDSHAKE', 'QUITTING', 'CLOSED'],
  // Implicit TLS greets after the handshake; STARTTLS goes on where it left off.
  HANDSHAKE: ['GREETING', 'READY', 'CLOSED'],
  QUITTING: ['CLOSED'],
  CLOSED: [],
};

export class PhaseTracker {
  constructor(private current: Phase) {}

  get phase(): Phase {
    return this.current;
  }

  /** Moves to `next`; a move the diagram does not allow is a bug, never silently taken. */
  enter(next: Phase): void {
    if (next === this.current) return;
    if (!MOVES[this.current].includes(next)) {
      throw new MailprobeError('INTERNAL', `connection state ${this.current} cannot become ${next}`);
    }
    this.current = next;
  }

  /** The server's greeting has been read (the session may send). */
  greeted(): boolean {
    return this.current === 'READY' || this.current === 'STARTTLS_REPLY' || this.current === 'QUITTING';
  }
}
