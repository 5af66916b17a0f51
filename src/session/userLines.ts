// What a line the user typed becomes on the wire and on screen: IMAP commands get the
// next tag, and credentials are recognised where they enter so echo and transcript show
// them redacted (AUTH PLAIN <b64>, LOGIN u p, PASS p, and every answer to a challenge).
import { verbOf } from '../protocols/framerBase.js';
import { REDACTED } from '../protocols/saslExchange.js';
import type { DialogueContext, ProtocolName } from '../protocols/types.js';

export interface UserLine {
  /** What goes to the server. */
  wire: string;
  /** What echo and transcript show. */
  shown: string;
  /** The line carries a secret (password, SASL response, token). */
  credentials: boolean;
  /** The line was changed on the way (a tag added): echo it even on a terminal. */
  rewritten: boolean;
  /** The line starts a SASL exchange: the lines after it answer challenges. */
  startsSasl?: boolean;
}

/** IMAP commands (RFC 3501 and common extensions) that get a tag when typed without one. */
export const IMAP_COMMANDS = new Set(
  (
    'CAPABILITY NOOP LOGOUT STARTTLS AUTHENTICATE LOGIN SELECT EXAMINE CREATE DELETE RENAME SUBSCRIBE ' +
    'UNSUBSCRIBE LIST LSUB STATUS APPEND CHECK CLOSE EXPUNGE SEARCH FETCH STORE COPY MOVE UID IDLE ' +
    'NAMESPACE ID ENABLE UNSELECT GETQUOTA GETQUOTAROOT SETQUOTA GETACL SETACL DELETEACL MYRIGHTS ' +
    'LISTRIGHTS COMPRESS GETMETADATA SETMETADATA SORT THREAD ESEARCH XLIST REPLACE'
  ).split(' '),
);

/** Tracks what the conversation is in: a SASL exchange, or an IMAP literal being typed. */
export class UserLineState {
  /** A SASL exchange the user started is under way: their lines answer challenges. */
  saslActive = false;
  /** The server's last answer was a continuation ("+"), so the next line is data. */
  continuation = false;
  /** An IMAP line announcing a synchronising literal {n} went out: its data waits for "+". */
  literalPending = false;

  constructor(
    private readonly protocol: ProtocolName,
    private readonly context: DialogueContext,
  ) {}

  translate(line: string): UserLine {
    if (this.saslActive || this.continuation) return this.answer(line);
    let wire = line;
    let rewritten = false;
    if (this.protocol === 'imap' && !this.continuation && IMAP_COMMANDS.has(verbOf(line))) {
      wire = `${this.context.nextTag()} ${line.trimStart()}`;
      rewritten = true;
    }
    const secret = redactCommand(this.protocol, wire);
    return { wire, shown: secret.shown, credentials: secret.credentials, rewritten, startsSasl: secret.sasl };
  }

  /** The line went to the server (a line the user declined to send changes nothing). */
  sent(line: UserLine): void {
    if (line.startsSasl) this.saslActive = true;
    if (this.protocol === 'imap' && /\{\d+\}$/.test(line.wire)) this.literalPending = true;
  }

  /** A line answering a challenge: secret unless it cancels the exchange. */
  private answer(line: string): UserLine {
    const cancel = line.trim() === '*' || line.trim() === '"*"';
    const secret = this.saslActive && !cancel && line.length > 0;
    return { wire: line, shown: secret ? REDACTED : line, credentials: secret, rewritten: false };
  }

  /** A reply came: a continuation keeps the exchange going, anything else ends it. */
  replied(isContinuation: boolean): void {
    this.continuation = isContinuation;
    this.literalPending = false;
    if (!isContinuation) this.saslActive = false;
  }
}

interface Redaction {
  shown: string;
  credentials: boolean;
  /** The command starts a SASL exchange whose next lines are secret. */
  sasl: boolean;
}

export function redactCommand(protocol: ProtocolName, line: string): Redaction {
  const words = line.trim().split(/\s+/);
  const tagged = protocol === 'imap';
  const verbIndex = tagged ? 1 : 0;
  const verb = (words[verbIndex] ?? '').toUpperCase();
  const keep = (count: number) => `${words.slice(0, count).join(' ')} ${REDACTED}`;
  if (verb === 'AUTH' || verb === 'AUTHENTICATE') {
    const hasInitial = words.length > verbIndex + 2;
    return { shown: hasInitial ? keep(verbIndex + 2) : line, credentials: hasInitial, sasl: true };
  }
  if (protocol === 'imap' && verb === 'LOGIN' && words.length > 3) return { shown: keep(3), credentials: true, sasl: false };
  if (protocol === 'pop3' && verb === 'PASS' && words.length > 1) return { shown: keep(1), credentials: true, sasl: false };
  if (protocol === 'pop3' && verb === 'APOP' && words.length > 2) return { shown: keep(2), credentials: true, sasl: false };
  return { shown: line, credentials: false, sasl: false };
}
