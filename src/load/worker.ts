// One connection of a load run: connect (and TLS, and AUTH) once, then messages until the
// run says stop — MAIL, RCPT × K, DATA or BDAT, RSET between (or only after a refusal) — with
// PIPELINING and CHUNKING when asked for and offered. Always ends with QUIT and a closed socket.
import type { Socket } from 'node:net';
import { MailprobeError, messageOf } from '../errors.js';
import { login } from '../client/login.js';
import { ehloCapabilities } from '../protocols/smtp/capabilities.js';
import type { Capabilities } from '../protocols/types.js';
import { connectUnobserved } from '../client/establish.js';
import { defaultClientName } from '../client/clientName.js';
import type { Established } from '../client/establish.js';
import { formatHostPort } from '../transport/address.js';
import { connectTcp } from '../transport/connect.js';
import type { SessionOptions } from '../client/options.js';
import type { HeaderMaker } from './message.js';
import { ReplyReader, type LoadReply } from '../protocols/smtp/replyReader.js';
import type { LoadStats } from './stats.js';

export interface WorkerPlan {
  session: SessionOptions;
  perConnection: number;
  envelope: Envelope;
  pipelining: boolean;
  /** BDAT instead of DATA when the server offers CHUNKING. */
  bdat: boolean;
  /** RSET after every message, not only after a refused one. */
  rset: boolean;
  user?: string;
  password?: string;
  body: Buffer;
  headers: HeaderMaker;
  /** Takes one message from the run's budget; false when the run is over. */
  take(): boolean;
  /** Returns a message taken and never sent (its connection failed first). */
  giveBack(): void;
  /** Stops the whole run for a reason no other connection would change (a refused login). */
  abort(error: MailprobeError): void;
  /** A connection logged in: the other connections may start. */
  loginSucceeded(): void;
  /** The EHLO/LHLO line, made by the first connection and sent by every one after it. */
  hello?: Buffer;
}

/**
 * Capabilities by EHLO reply text: every connection of a run gets the same reply, which is
 * parsed once (a few distinct texts at most; more and the cache starts afresh).
 */
const parsedEhlo = new Map<string, Capabilities>();
function capabilitiesOf(lines: string[]): Capabilities {
  const key = lines.join('\n');
  let capabilities = parsedEhlo.get(key);
  if (!capabilities) {
    if (parsedEhlo.size >= 16) parsedEhlo.clear();
    capabilities = ehloCapabilities(lines);
    parsedEhlo.set(key, capabilities);
  }
  return capabilities;
}

/**
 * The one login path with its credential policy. A refusal — by the policy or by the
 * server — stops the whole run: a wrong password tried once per connection would fail
 * hundreds of logins and get the tester banned (fail2ban).
 */
async function authenticate(established: Established, plan: WorkerPlan): Promise<void> {
  const { connection, context, capabilities } = established;
  const target = { connection, protocol: connection.protocol, context, capabilities };
  const { session } = plan;
  try {
    const outcome = await login(target, { user: plan.user as string, secret: plan.password ?? '', host: session.tls.servername ?? session.host, port: session.port }, session);
    if (outcome.ok) return plan.loginSucceeded();
    plan.abort(new MailprobeError('AUTH_FAILED', `login as ${plan.user} with ${outcome.how} was refused, so the run stops`, {
      reply: outcome.reply.lines.map((line) => line.text).join('\n'),
      hint: 'check the user and password: one refused login is enough to know',
    }));
  } catch (error) {
    if (error instanceof MailprobeError && (error.code === 'CREDENTIALS_REFUSED' || error.code === 'AUTH_FAILED')) plan.abort(error);
    throw error;
  }
  throw new MailprobeError('AUTH_FAILED', 'login refused');
}

/** MAIL, RCPT × K and (for DATA) DATA, each a line ready to write, made once per run. */
export interface Envelope {
  data: Buffer[];
  bdat: Buffer[];
}

export function makeEnvelope(from: string, to: string[]): Envelope {
  const bdat = [`MAIL FROM:<${from}>\r\n`, ...to.map((address) => `RCPT TO:<${address}>\r\n`)].map((line) => Buffer.from(line, 'latin1'));
  return { bdat, data: [...bdat, Buffer.from('DATA\r\n')] };
}

/** How a connection sends its messages, from the flags and what the server offers. */
interface Dialogue {
  pipelining: boolean;
  bdat: boolean;
  rset: boolean;
  lmtp: boolean;
}

/** The connection once set up: its socket and the reader of its replies. */
interface Wire {
  socket: Socket;
  replies: ReplyReader;
}

const CRLF = '\r\n';

/** EHLO, or LHLO in LMTP: the protocol's own capability command. */
function helloCommand(session: SessionOptions, name: string): string {
  return session.protocol.capabilityCommand?.({ clientName: name, serverHost: session.host, nextTag: () => '' }) ?? `EHLO ${name}`;
}

/** Sends RSET and waits for its reply: the envelope of a refused message is cleared. */
async function reset(wire: Wire): Promise<void> {
  wire.socket.write(`RSET${CRLF}`);
  await wire.replies.next();
}

/** A refusal with no reply to show: the server sent a line that was no reply. */
const BROKEN: LoadReply = { code: 554, text: '(no reply code)' };

/**
 * One message; returns the reply that decided it (250 accepted). `more`: another message
 * follows on this connection (else QUIT does, and no RSET is needed first).
 */
async function sendMessage(wire: Wire, plan: WorkerPlan, dialogue: Dialogue, stats: LoadStats, more: boolean): Promise<LoadReply> {
  const { socket, replies } = wire;
  const { pipelining, bdat, lmtp } = dialogue;
  const rset = dialogue.rset && more;
  const envelope = bdat ? plan.envelope.bdat : plan.envelope.data;
  const headers = plan.headers.next();
  const size = headers.length + plan.body.length;
  // BDAT goes in the same write as the envelope, except in LMTP, where the number of replies
  // to BDAT LAST is that of the recipients accepted, known only once they have answered.
  const bdatWithEnvelope = bdat && pipelining && !lmtp;
  const rsetAlong = pipelining && rset;
  if (pipelining) {
    socket.cork(); // the envelope in one write (RFC 2920)
    for (const command of envelope) socket.write(command);
    if (bdatWithEnvelope) writeBdat(socket, size, headers, plan.body, rsetAlong);
    socket.uncork();
  }
  let refused: LoadReply | undefined;
  let accepted = 0;
  let dataReply: LoadReply | undefined;
  for (let i = 0; i < envelope.length; i++) {
    if (!pipelining) socket.write(envelope[i]);
    const reply = await replies.next();
    const { code } = reply;
    const isData = !bdat && i === envelope.length - 1;
    if (isData) dataReply = reply;
    else if (code >= 200 && code < 300) accepted += i > 0 ? 1 : 0;
    else refused ??= code ? reply : { ...BROKEN, text: reply.text || BROKEN.text };
    if (!pipelining && refused) break;
  }
  const dataCode = dataReply?.code ?? 0;
  // A 2xx to DATA took no content: the server broke the protocol, and nothing was accepted.
  if (dataReply && dataCode >= 200 && dataCode < 300) {
    stats.failed(dataCode, dataReply.text);
    throw new MailprobeError('PROTOCOL', `the server answered DATA with ${dataCode} instead of 354`);
  }
  if (!bdatWithEnvelope && (refused || (!bdat && dataCode !== 354))) {
    // A DATA that was let through after a refused RCPT (PIPELINING) still needs its end.
    if (dataCode === 354) {
      socket.write(`.${CRLF}`);
      await replies.next();
    }
    if (more) await reset(wire);
    return refused ?? (dataReply && dataCode ? dataReply : { ...BROKEN, text: dataReply?.text || BROKEN.text });
  }
  if (!bdatWithEnvelope) {
    // Headers, the shared body and the end (dot or BDAT) in one write; with PIPELINING the
    // RSET that clears the envelope for the next message goes along too.
    socket.cork();
    if (bdat) writeBdat(socket, size, headers, plan.body, rsetAlong);
    else {
      socket.write(headers);
      socket.write(plan.body);
      socket.write(rsetAlong ? `.${CRLF}RSET${CRLF}` : `.${CRLF}`);
    }
    socket.uncork();
  }
  stats.bytesSent += size + (bdat ? 0 : 3);
  // LMTP answers once per accepted recipient: the worst answer decides (0, a broken reply,
  // counts as a refusal).
  const finals = lmtp ? Math.max(1, accepted) : 1;
  let worst: LoadReply | undefined;
  for (let i = 0; i < finals; i++) {
    const reply = await replies.next();
    if (!worst || reply.code > worst.code) worst = reply;
  }
  if (refused && (!worst || refused.code > worst.code)) worst = refused;
  const decided = worst as LoadReply;
  if (rsetAlong) await replies.next();
  // Without RSET the next MAIL starts a new transaction after an accepted one (RFC 5321
  // §4.1.4); after a refusal the envelope is cleared all the same.
  else if (rset || (decided.code >= 400 && more)) await reset(wire);
  return decided;
}

/** BDAT LAST with the whole message (RFC 3030): no dot, no stuffing, one reply. */
function writeBdat(socket: Socket, size: number, headers: Buffer, body: Buffer, rset: boolean): void {
  socket.write(`BDAT ${size} LAST${CRLF}`);
  socket.write(headers);
  socket.write(body);
  if (rset) socket.write(`RSET${CRLF}`);
}

/** A connection ready for messages: greeted, EHLO (and TLS and AUTH) done. */
interface Opened {
  wire: Wire;
  capabilities?: Capabilities;
}

/**
 * Plaintext without AUTH needs none of the session's machinery (framer, printer, per-reply
 * timers): the socket and a reply reader do, which halves the cost of a connection.
 */
async function openPlain(plan: WorkerPlan, stats: LoadStats): Promise<Opened | undefined> {
  const { session } = plan;
  const started = performance.now();
  let socket: Socket;
  try {
    socket = await connectTcp({ host: session.host, port: session.port, family: session.family, timeoutMs: session.timeoutMs }, formatHostPort(session.host, session.port));
  } catch (error) {
    stats.connectionFailed(messageOf(error));
    return undefined;
  }
  stats.connectionsOpened++;
  stats.connectMs.push(performance.now() - started);
  const replies = new ReplyReader(socket, Buffer.alloc(0), session.timeoutMs, true);
  const wire = { socket, replies };
  try {
    const greeting = await replies.next();
    if (greeting.code !== 220) throw new MailprobeError('PROTOCOL', `the server greeted with ${greeting.text || 'a broken reply'}`);
    // The name (the local address literal on a host without a domain name) is the same for
    // every connection of the run: worked out once.
    plan.hello ??= Buffer.from(`${helloCommand(session, session.clientName ?? defaultClientName(socket))}${CRLF}`, 'latin1');
    socket.write(plan.hello);
    const ehlo = await replies.next();
    if (ehlo.code !== 250) throw new MailprobeError('PROTOCOL', `the server refused EHLO: ${ehlo.text || 'a broken reply'}`);
    replies.keepLines = false;
    return { wire, capabilities: capabilitiesOf(ehlo.lines ?? []) };
  } catch (error) {
    stats.connectionFailed(messageOf(error));
    await quit(undefined, wire);
    return undefined;
  }
}

/** TLS, STARTTLS or AUTH: the session's own set-up, then the socket handed to a reply reader. */
async function openFull(plan: WorkerPlan, stats: LoadStats): Promise<Opened | undefined> {
  let established: Established;
  try {
    established = await connectUnobserved(plan.session);
  } catch (error) {
    stats.connectionFailed(messageOf(error));
    return undefined;
  }
  stats.connectionsOpened++;
  stats.connectMs.push(established.timings.connectMs);
  if (established.timings.tlsMs !== undefined) stats.tlsMs.push(established.timings.tlsMs - established.timings.connectMs);
  const { connection } = established;
  try {
    if (plan.session.mode !== 'starttls') await connection.reply('greeting');
    if (plan.session.mode !== 'starttls' || plan.session.noEhlo) {
      const hello = helloCommand(plan.session, established.context.clientName);
      connection.send(hello);
      established.capabilities = connection.protocol.capabilitiesFrom?.(hello, await connection.reply('EHLO'));
    }
    if (plan.user) await authenticate(established, plan);
  } catch (error) {
    stats.connectionFailed(messageOf(error));
    await quit(connection, undefined);
    return undefined;
  }
  const detached = connection.detach();
  const socket = detached.socket as Socket;
  return { wire: { socket, replies: new ReplyReader(socket, detached.pending, plan.session.timeoutMs) }, capabilities: established.capabilities };
}

export async function runWorker(plan: WorkerPlan, stats: LoadStats): Promise<void> {
  if (!plan.take()) return;
  const opened = plan.session.mode === 'plain' && !plan.user ? await openPlain(plan, stats) : await openFull(plan, stats);
  if (!opened) return;
  const { wire } = opened;
  const offered = opened.capabilities?.keywords;
  const dialogue: Dialogue = {
    pipelining: plan.pipelining && !!offered?.has('PIPELINING'),
    bdat: plan.bdat && !!offered?.has('CHUNKING'),
    rset: plan.rset,
    lmtp: !!plan.session.protocol.repliesPerRecipient,
  };
  if (dialogue.pipelining) stats.pipelinedConnections++;
  if (dialogue.bdat) stats.chunkedConnections++;
  let more = true;
  try {
    for (let n = 0; more; n++) {
      // The next message is taken from the budget first: the last one needs no RSET.
      more = n + 1 < plan.perConnection && plan.take();
      const started = performance.now();
      const { code, text } = await sendMessage(wire, plan, dialogue, stats, more);
      stats.messageMs.push(performance.now() - started);
      if (code >= 200 && code < 300) stats.accepted++;
      else stats.failed(code, text);
    }
  } catch (error) {
    if (more) plan.giveBack();
    stats.connectionFailed(messageOf(error));
  } finally {
    await quit(undefined, wire);
  }
}

/** QUIT, a second at most for its reply, and the socket closed either way. */
async function quit(connection: Established['connection'] | undefined, wire: Wire | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const goodbye = new Promise((resolve) => (timer = setTimeout(resolve, 1000)));
  if (wire) {
    if (!wire.socket.destroyed) {
      wire.socket.write(`QUIT${CRLF}`);
      await Promise.race([wire.replies.next().catch(() => undefined), goodbye]);
    }
    wire.replies.close();
  } else if (connection) {
    if (!connection.closed) {
      connection.send('QUIT');
      await Promise.race([connection.reply('QUIT').catch(() => undefined), goodbye]);
    }
    connection.close();
  }
  clearTimeout(timer);
}
