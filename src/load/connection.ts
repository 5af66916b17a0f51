// One connection of a load run: connect (and TLS, and AUTH) once, then hand the socket to
// the conversation (conversation.ts), which sends messages until the run says stop and
// always ends with QUIT and a closed socket.
import { connect as netConnect, type NetConnectOpts, type Socket } from 'node:net';
import { MailprobeError, messageOf } from '../errors.js';
import { login } from '../client/login.js';
import { connectUnobserved } from '../client/establish.js';
import { closeAfterGoodbye, goodbye } from '../client/goodbye.js';
import type { Established } from '../client/establish.js';
import { dialOptions } from '../transport/connect.js';
import { isDirect } from '../transport/route/types.js';
import type { SessionOptions } from '../client/options.js';
import type { HeaderMaker } from './message.js';
import type { LoadStats } from './stats.js';
import { Conversation } from './conversation.js';
import { helloCommand } from './dialogue.js';
import type { Watchdog } from './watchdog.js';


export interface LoadPlan {
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
  /** How a plaintext connection dials, checked by the first and used by every one after it. */
  dial?: Readonly<NetConnectOpts>;
}

/**
 * The one login path with its credential policy. A refusal — by the policy or by the
 * server — stops the whole run: a wrong password tried once per connection would fail
 * hundreds of logins and get the tester banned (fail2ban).
 */
async function authenticate(established: Established, plan: LoadPlan): Promise<void> {
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

/**
 * MAIL, RCPT × K and (for DATA) DATA, each a line ready to write, and all of them as one
 * buffer for PIPELINING (one write, not a write of K + 2 pieces), made once per run.
 */
export interface Envelope {
  data: Buffer[];
  bdat: Buffer[];
  pipelined: { data: Buffer; bdat: Buffer };
}

export function makeEnvelope(from: string, to: string[]): Envelope {
  const bdat = [`MAIL FROM:<${from}>\r\n`, ...to.map((address) => `RCPT TO:<${address}>\r\n`)].map((line) => Buffer.from(line, 'latin1'));
  const data = [...bdat, Buffer.from('DATA\r\n')];
  return { bdat, data, pipelined: { data: Buffer.concat(data), bdat: Buffer.concat(bdat) } };
}

/**
 * Plaintext without AUTH needs none of the session's machinery (framer, printer, per-reply
 * timers): the socket, and the conversation from the connect on.
 */
function runPlain(plan: LoadPlan, stats: LoadStats, watchdog: Watchdog, done: () => void): void {
  let socket: Socket;
  try {
    socket = netConnect((plan.dial ??= dialOptions({ ...plan.session, bind: plan.session.route?.bind }, Conversation.reading())));
  } catch (error) {
    stats.connectionFailed(messageOf(error));
    return done();
  }
  new Conversation({ plan, stats, watchdog, done }).connecting(socket);
}

/** TLS, STARTTLS or AUTH: the session's own set-up, then the socket handed to the conversation. */
async function runFull(plan: LoadPlan, stats: LoadStats, watchdog: Watchdog, done: () => void): Promise<void> {
  let established: Established;
  try {
    established = await connectUnobserved(plan.session);
  } catch (error) {
    stats.connectionFailed(messageOf(error));
    return done();
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
    // The protocol's goodbye, and a second at most for the server to close.
    goodbye(connection, established.context);
    await closeAfterGoodbye(connection, 1000);
    connection.close();
    return done();
  }
  const detached = connection.detach();
  new Conversation({ plan, stats, watchdog, done }).resume(detached.socket as Socket, detached.pending, established.capabilities);
}

/**
 * One connection: `done` is called once it is closed, whatever came of it (at once when the
 * run has no message left for it). A callback, not a promise: a lane opens thousands.
 */
export function runConnection(plan: LoadPlan, stats: LoadStats, watchdog: Watchdog, done: () => void): void {
  if (!plan.take()) return done();
  if (plan.session.mode === 'plain' && !plan.user && isDirect(plan.session.route)) runPlain(plan, stats, watchdog, done);
  else void runFull(plan, stats, watchdog, done);
}
