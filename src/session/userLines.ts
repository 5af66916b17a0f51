// What a line the user typed becomes on the wire and on screen: commands of a tagging
// protocol get the next tag, and credentials are recognised where they enter — by the
// protocol's own grammar, literals included — so the guard can stop them and echo and
// transcript show them redacted. A line typed right after a SASL start without an initial
// response is a credential whatever the server answered; so is every answer to a
// challenge, and every line of a credential command that goes on after a literal. Only
// the answer to a challenge that asks for a user name ("Username:") is shown in clear.
import { verbOf } from '../protocols/framerBase.js';
import { REDACTED } from '../protocols/credentials.js';
import { literalLength } from '../protocols/literal.js';
import type { DialogueContext, ProtocolSpec } from '../protocols/types.js';

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
  /** The line's command goes on after a literal, and its next line is part of it. */
  continues?: boolean;
  /** The line belongs to a credential command the user declined to send: it is dropped. */
  discard?: boolean;
}

/** Tracks what the conversation is in: a SASL exchange, a credential command, a literal. */
export class UserLineState {
  /** A SASL exchange the user started is under way: their lines answer challenges. */
  saslActive = false;
  /** The server's last answer was a continuation ("+", 334), so the next line is data. */
  continuation = false;
  /** A line announcing a synchronising literal {n} went out: its data waits for "+". */
  literalPending = false;
  /** The next line is secret whatever the server says (after AUTH without an initial response). */
  private secretNext = false;
  /** Inside a credential command continued over literals (IMAP LOGIN {5}). */
  private credentialCommand = false;
  /** Inside a credential command the user declined: its remaining lines are dropped. */
  private discarding = false;
  /** The last challenge asked for a user name (LOGIN's "Username:"): its answer is shown. */
  private askedForUser = false;
  /** The SASL exchange under way has had an answer (or an initial response) already. */
  private answeredInExchange = false;

  constructor(
    private readonly protocol: ProtocolSpec,
    private readonly context: DialogueContext,
  ) {}

  translate(line: string): UserLine {
    if (this.discarding) return { wire: line, shown: REDACTED, credentials: true, rewritten: false, discard: true, continues: endsWithLiteral(line) };
    if (this.credentialCommand) return { wire: line, shown: REDACTED, credentials: true, rewritten: false, continues: endsWithLiteral(line) };
    // A SASL exchange goes on only where the server asked (a continuation): after an initial
    // response and a final answer, the next line is an ordinary command again.
    if (this.secretNext || this.continuation) return this.answer(line);
    let wire = line;
    let rewritten = false;
    if (this.protocol.tagsCommands?.has(verbOf(line))) {
      wire = `${this.context.nextTag()} ${line.trimStart()}`;
      rewritten = true;
    }
    const secret = this.protocol.typedCredentials(wire);
    return { wire, shown: secret.shown, credentials: secret.credentials, rewritten, startsSasl: secret.sasl, continues: secret.continues };
  }

  /** The line went to the server. */
  sent(line: UserLine): void {
    this.secretNext = false;
    if (this.saslActive) this.answeredInExchange = true;
    if (line.startsSasl) {
      this.saslActive = true;
      this.answeredInExchange = line.credentials;
      // No initial response: the next line is the client's first answer, whatever comes back.
      if (!line.credentials) this.secretNext = true;
    }
    this.credentialCommand = line.credentials && !!line.continues;
    if (this.protocol.synchronisingLiterals && /\{\d+\}$/.test(line.wire)) this.literalPending = true;
  }

  /** The user declined to send a credential line: the rest of its command is dropped too. */
  declined(line: UserLine): void {
    this.discarding = !!line.continues;
  }

  /** A dropped line of a declined command: the command ends with a line that announces no literal. */
  dropped(line: UserLine): void {
    this.discarding = !!line.continues;
  }

  /** A line answering a challenge: secret unless it cancels the exchange. */
  private answer(line: string): UserLine {
    const cancel = line.trim() === '*' || line.trim() === '"*"';
    const secret = (this.saslActive || this.secretNext) && !cancel && line.length > 0;
    // A user name is no secret: shown, yet still guarded as part of the exchange. Any other
    // challenge, or one that could not be read, keeps the answer redacted.
    return { wire: line, shown: secret && !this.askedForUser ? REDACTED : line, credentials: secret, rewritten: false };
  }

  /** A reply came: a continuation keeps the exchange going, anything else ends it. */
  replied(isContinuation: boolean, challenge?: string): void {
    this.continuation = isContinuation;
    // Only the first answer of an exchange can be a user name (as in LOGIN): a server asking
    // "Username:" again does not get the password shown.
    this.askedForUser = isContinuation && !this.answeredInExchange && /^user ?name:?$/i.test(challenge?.trim() ?? '');
    this.literalPending = false;
    if (!isContinuation) this.saslActive = false;
  }
}

function endsWithLiteral(line: string): boolean {
  return literalLength(line.trimEnd()) !== undefined;
}
