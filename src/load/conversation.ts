// One connection of a load run from its first reply to its close, as a state machine that
// each reply moves on: greeting and EHLO (plaintext; over TLS or with AUTH the session's own
// set-up has done them), then messages until the run says stop — MAIL, RCPT × K, DATA or
// BDAT, RSET after a refusal (or always, with --rset) — and QUIT. No promise, closure or
// timer per reply: at thousands of messages a second those were most of mailprobe's share
// of a message. The order of writes and replies is that of RFC 5321 (§4.1.4, RFC 2920 for
// PIPELINING, RFC 3030 for BDAT, RFC 2033 for LMTP's reply per recipient).
import type { Socket } from 'node:net';
import { MailprobeError, messageOf, timeoutError } from '../errors.js';
import { closedError, ReplyReader, type LoadReply, type ReplyHandler } from '../protocols/smtp/replyReader.js';
import type { Capabilities } from '../protocols/types.js';
import { formatHostPort } from '../transport/address.js';
import { connectTimeout, describeNetError } from '../transport/connect.js';
import type { LoadStats } from './stats.js';
import { defaultClientName } from '../client/clientName.js';
import type { Watchdog, Watched } from './watchdog.js';
import type { LoadPlan } from './connection.js';
import { BROKEN, capabilitiesOf, CRLF, dialogueFor, DOT, DOT_QUIT, DOT_RSET, helloCommand, QUIT, QUIT_WAIT_MS, RSET, type Dialogue } from './dialogue.js';
import { now } from '../clock.js';

type Phase = 'connecting' | 'greeting' | 'hello' | 'envelope' | 'dot' | 'final' | 'rset' | 'quit' | 'closed';

/**
 * A socket's conversation, while it lasts. The socket's events reach it through functions
 * shared by the whole run, not closures per connection, and a closed conversation is cut
 * from its socket: Node keeps a closed socket until a full collection (its handle is held
 * weakly), and everything the conversation holds would otherwise be kept, and copied by
 * every young-generation collection, with it.
 */
const OWNER = Symbol('load conversation');
type OwnedSocket = Socket & { [OWNER]?: Conversation };
/** net.connect's `onread`: the buffer every read goes into, and what is called with it. */
type ReadOptions = { buffer: Buffer; callback: (this: OwnedSocket, length: number, buffer: Uint8Array) => boolean };

export interface ConversationParts {
  plan: LoadPlan;
  stats: LoadStats;
  watchdog: Watchdog;
  /** Called once, when the connection is closed. */
  done(): void;
}

export class Conversation implements ReplyHandler, Watched {
  deadline = 0;
  watchSlot = -1;
  private phase: Phase = 'greeting';
  private socket!: OwnedSocket;
  private reader!: ReplyReader;
  private dialogue!: Dialogue;
  private readonly plan: LoadPlan;
  private readonly stats: LoadStats;
  private readonly watchdog: Watchdog;
  private readonly done: () => void;
  private readonly timeoutMs: number;
  // The message under way.
  private sent = 0;
  /** Another message follows on this connection (taken from the budget already). */
  private more = false;
  private started = 0;
  private replies = 0;
  private accepted = 0;
  private refused: LoadReply | undefined;
  private dataReply: LoadReply | undefined;
  private finalsLeft = 0;
  private decided: LoadReply | undefined;
  private envelope: Buffer[] = [];
  private bdatWithEnvelope = false;
  private rsetAlong = false;
  /** QUIT may go with the connection's last message (PIPELINING). */
  private quitAlong = false;
  /** QUIT has been written: its 221 follows the replies owed before it. */
  private quitSent = false;
  /** The next message's envelope went in the same write as this one's end (PIPELINING), at `aheadAt`. */
  private envelopeAhead = false;
  private aheadAt = 0;
  private size = 0;
  private headers = '';

  constructor(parts: ConversationParts) {
    this.plan = parts.plan;
    this.stats = parts.stats;
    this.watchdog = parts.watchdog;
    this.done = parts.done;
    this.timeoutMs = parts.plan.session.timeoutMs;
  }

  /**
   * A plaintext connection, still connecting: its greeting comes next. The connect's time
   * limit is the run's watchdog, like every reply's. The socket reads into the run's one
   * buffer (Conversation.reading(), given to connect), not a new Buffer and a 'data' event
   * per read.
   */
  connecting(socket: Socket): void {
    this.attach(socket, 'connecting');
    this.reader = new ReplyReader(this, true, true);
    socket.on('connect', Conversation.onConnect);
  }

  private connected(): void {
    const { plan, socket } = this;
    this.phase = 'greeting';
    this.stats.connectionsOpened++;
    this.stats.connectMs.push(now() - this.started);
    // The EHLO line (an address literal when the host has no domain name) is made once per run.
    plan.hello ??= Buffer.from(`${helloCommand(plan.session, plan.session.clientName ?? defaultClientName(socket))}${CRLF}`, 'latin1');
  }

  /** A connection set up by the session (TLS, AUTH): its messages start now. */
  resume(socket: Socket, pending: Buffer, capabilities: Capabilities | undefined): void {
    this.attach(socket, 'envelope');
    socket.on('data', Conversation.onData);
    this.reader = new ReplyReader(this);
    this.choose(capabilities);
    this.startMessage();
    if (pending.length > 0) this.reader.receive(pending);
  }

  /** The socket's events, one listener each for the connection's whole life. */
  private attach(socket: OwnedSocket, phase: Phase): void {
    this.started = now();
    this.socket = socket;
    socket[OWNER] = this;
    this.phase = phase;
    this.deadline = this.watchdog.after(this.timeoutMs);
    this.watchdog.watch(this);
    socket.on('error', Conversation.onError);
    socket.on('close', Conversation.onClose);
  }

  private static onConnect(this: OwnedSocket): void {
    this[OWNER]?.connected();
  }

  private static readOptions: ReadOptions | undefined;

  /**
   * The `onread` of every plaintext connection of the run: one buffer, read into and parsed
   * at once. Made by the first connection, not when mailprobe starts: other commands never use it.
   */
  static reading(): ReadOptions {
    return (Conversation.readOptions ??= { buffer: Buffer.allocUnsafe(64 * 1024), callback: Conversation.onRead });
  }

  private static onRead(this: OwnedSocket, length: number, buffer: Uint8Array): boolean {
    this[OWNER]?.reader.receive((buffer as Buffer).subarray(0, length));
    return true;
  }

  private static onData(this: OwnedSocket, chunk: Buffer): void {
    this[OWNER]?.reader.receive(chunk);
  }

  private static onError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
    const conversation = this[OWNER];
    if (conversation?.phase === 'connecting') conversation.notConnected(describeNetError(error, conversation.where()));
    else conversation?.reader.end(error);
  }

  private static onClose(this: OwnedSocket): void {
    this[OWNER]?.reader.end();
  }

  /** The connection was never made: no QUIT, and the message taken for it is spent. */
  private notConnected(error: MailprobeError): void {
    this.socket.destroy();
    this.stats.connectionFailed(messageOf(error));
    this.close();
  }

  private where(): string {
    return formatHostPort(this.plan.session.host, this.plan.session.port);
  }

  reply(reply: LoadReply): void {
    this.deadline = this.watchdog.after(this.phase === 'quit' ? QUIT_WAIT_MS : this.timeoutMs);
    switch (this.phase) {
      case 'greeting':
        return this.greeting(reply);
      case 'hello':
        return this.hello(reply);
      case 'envelope':
        return this.envelopeReply(reply);
      case 'dot':
        return this.afterRefusal();
      case 'final':
        return this.finalReply(reply);
      case 'rset':
        return this.messageDone();
      case 'quit':
        return this.close();
    }
  }

  end(error?: MailprobeError): void {
    if (!this.socket.destroyed) this.socket.destroy();
    if (this.phase === 'closed') return;
    if (this.phase === 'quit') return this.close();
    this.fail(error ?? closedError());
  }

  expire(): void {
    if (this.phase === 'quit') return this.close();
    if (this.phase === 'connecting') return this.notConnected(connectTimeout(this.where(), this.timeoutMs));
    this.socket.destroy(); // no QUIT to a server that has stopped answering
    this.fail(timeoutError('REPLY_TIMEOUT', `no reply from the server after ${this.timeoutMs / 1000} s`));
  }

  private greeting(reply: LoadReply): void {
    if (reply.code !== 220) return this.fail(new MailprobeError('PROTOCOL', `the server greeted with ${reply.text || 'a broken reply'}`));
    this.phase = 'hello';
    this.socket.write(this.plan.hello as Buffer);
  }

  private hello(reply: LoadReply): void {
    if (reply.code !== 250) return this.fail(new MailprobeError('PROTOCOL', `the server refused EHLO: ${reply.text || 'a broken reply'}`));
    this.reader.keepRaw = false;
    this.choose(capabilitiesOf(reply.raw as Buffer));
    this.startMessage();
  }

  /** The dialogue from the flags and what the server offers. */
  private choose(capabilities: Capabilities | undefined): void {
    this.dialogue = dialogueFor(this.plan, capabilities);
    if (this.dialogue.pipelining) this.stats.pipelinedConnections++;
    if (this.dialogue.bdat) this.stats.chunkedConnections++;
  }

  private startMessage(): void {
    const { plan, socket } = this;
    const { pipelining, bdat, lmtp } = this.dialogue;
    // The next message is taken from the budget first: the last one needs no RSET.
    this.more = ++this.sent < plan.perConnection && plan.take();
    this.started = this.envelopeAhead ? this.aheadAt : now();
    this.phase = 'envelope';
    this.replies = 0;
    this.accepted = 0;
    this.refused = undefined;
    this.dataReply = undefined;
    this.envelope = bdat ? plan.envelope.bdat : plan.envelope.data;
    this.headers = plan.headers.next();
    this.size = this.headers.length + plan.body.length;
    // BDAT goes in the same write as the envelope, except in LMTP, where the number of replies
    // to BDAT LAST is that of the recipients accepted, known only once they have answered.
    this.bdatWithEnvelope = bdat && pipelining && !lmtp;
    this.rsetAlong = pipelining && this.dialogue.rset && this.more;
    // The last message's end and QUIT in one write: QUIT may close a pipelined group (RFC 2920 §3.1).
    this.quitAlong = pipelining && !this.more;
    if (!pipelining) {
      socket.write(this.envelope[0]);
      return;
    }
    if (this.envelopeAhead) {
      this.envelopeAhead = false; // on its way since the last message's end
      return;
    }
    // The envelope in one write (RFC 2920), and BDAT with it where it can go along.
    const together = bdat ? plan.envelope.pipelined.bdat : plan.envelope.pipelined.data;
    if (!this.bdatWithEnvelope) return void socket.write(together);
    socket.cork();
    socket.write(together);
    this.writeBdat();
    socket.uncork();
  }

  private envelopeReply(reply: LoadReply): void {
    const { envelope } = this;
    const i = this.replies++;
    const { code } = reply;
    if (!this.dialogue.bdat && i === envelope.length - 1) this.dataReply = reply;
    else if (code >= 200 && code < 300) this.accepted += i > 0 ? 1 : 0;
    else this.refused ??= code ? reply : { ...BROKEN, text: reply.text || BROKEN.text };
    const pipelining = this.dialogue.pipelining;
    if (!pipelining && this.refused) return this.envelopeDone();
    if (this.replies < envelope.length) {
      if (!pipelining) this.socket.write(envelope[this.replies]);
      return;
    }
    this.envelopeDone();
  }

  private envelopeDone(): void {
    const { dataReply, refused, socket } = this;
    const dataCode = dataReply?.code ?? 0;
    // A 2xx to DATA took no content: the server broke the protocol, and nothing was accepted.
    if (dataReply && dataCode >= 200 && dataCode < 300) {
      this.stats.failed(dataCode, dataReply.text);
      return this.fail(new MailprobeError('PROTOCOL', `the server answered DATA with ${dataCode} instead of 354`));
    }
    const bdat = this.dialogue.bdat;
    if (!this.bdatWithEnvelope && (refused || (!bdat && dataCode !== 354))) {
      this.decided = refused ?? (dataReply && dataCode ? dataReply : { ...BROKEN, text: dataReply?.text || BROKEN.text });
      // A DATA that was let through after a refused RCPT (PIPELINING) still needs its end.
      if (dataCode !== 354) return this.afterRefusal();
      this.phase = 'dot';
      socket.write(DOT);
      return;
    }
    if (!this.bdatWithEnvelope) {
      // Headers, the shared body and the end (dot or BDAT) in one write; with PIPELINING the
      // RSET that clears the envelope for the next message goes along too.
      socket.cork();
      if (bdat) this.writeBdat();
      else {
        socket.write(this.headers, 'latin1');
        socket.write(this.plan.body);
        socket.write(this.rsetAlong ? DOT_RSET : this.quitAlong ? DOT_QUIT : DOT);
        this.quitSent = this.quitAlong;
        // Message content may open a pipelined group (RFC 2920 §3.1): the next envelope goes
        // along, and its replies follow this message's.
        if (this.more && this.dialogue.pipelining) {
          socket.write(this.plan.envelope.pipelined.data);
          this.envelopeAhead = true;
          this.aheadAt = now();
        }
      }
      socket.uncork();
    }
    this.stats.bytesSent += this.size + (bdat ? 0 : 3);
    // LMTP answers once per accepted recipient: the worst answer decides (0, a broken reply,
    // counts as a refusal).
    this.finalsLeft = this.dialogue.lmtp ? Math.max(1, this.accepted) : 1;
    this.decided = undefined;
    this.phase = 'final';
  }

  /** BDAT LAST with the whole message (RFC 3030): no dot, no stuffing, one reply. */
  private writeBdat(): void {
    const { socket } = this;
    socket.write(`BDAT ${this.size} LAST${CRLF}`);
    socket.write(this.headers, 'latin1');
    socket.write(this.plan.body);
    if (this.rsetAlong) socket.write(RSET);
    else if (this.quitAlong) {
      socket.write(QUIT);
      this.quitSent = true;
    }
  }

  /** A refused message (or any, with --rset): RSET clears its envelope when another follows. */
  private afterRefusal(): void {
    if (!this.more) return this.messageDone();
    this.phase = 'rset';
    this.socket.write(RSET);
  }

  private finalReply(reply: LoadReply): void {
    if (!this.decided || reply.code > this.decided.code) this.decided = reply;
    if (--this.finalsLeft > 0) return;
    const { refused } = this;
    if (refused && refused.code > (this.decided as LoadReply).code) this.decided = refused;
    const code = (this.decided as LoadReply).code;
    if (this.rsetAlong) {
      this.phase = 'rset'; // its reply is on its way
      return;
    }
    // Without RSET the next MAIL starts a new transaction after an accepted one (RFC 5321
    // §4.1.4); after a refusal the envelope is cleared all the same, unless the next one is on
    // its way: the final reply ended the transaction whatever it said (§4.1.1.4).
    if (this.more && !this.envelopeAhead && (this.dialogue.rset || code >= 400)) return this.afterRefusal();
    this.messageDone();
  }

  private messageDone(): void {
    const { stats } = this;
    const decided = this.decided as LoadReply;
    stats.messageMs.push(now() - this.started);
    if (decided.code >= 200 && decided.code < 300) stats.accepted++;
    else stats.failed(decided.code, decided.text);
    if (this.more) this.startMessage();
    else this.quit();
  }

  /** The connection failed: the message taken for after this one goes back to the run. */
  private fail(error: MailprobeError): void {
    if (this.more) this.plan.giveBack();
    this.more = false;
    this.stats.connectionFailed(messageOf(error));
    this.quit();
  }

  /** QUIT (unless it went along with the last message), a second at most for its reply, and the socket closed either way. */
  private quit(): void {
    if (this.socket.destroyed) return this.close();
    this.phase = 'quit';
    this.deadline = this.watchdog.after(QUIT_WAIT_MS);
    if (this.quitSent) return;
    this.quitSent = true;
    this.socket.write(QUIT);
  }

  private close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.watchdog.unwatch(this);
    this.reader.close();
    if (!this.socket.destroyed) this.socket.destroy();
    this.socket[OWNER] = undefined;
    this.done();
  }
}
