// One connection of a load run: connect (and TLS, and AUTH) once, then messages until the
// run says stop — MAIL, RCPT × K, DATA or BDAT, RSET between — with PIPELINING when asked
// for and offered. Always ends with QUIT and a closed socket.
import { MailprobeError } from '../errors.js';
import { replyCode } from '../protocols/smtp/reply.js';
import { runSasl } from '../protocols/saslExchange.js';
import type { Reply } from '../protocols/types.js';
import { createSaslClient, pickMechanism } from '../sasl/index.js';
import { connectSilently } from '../checks/probe.js';
import type { Established } from '../session/establish.js';
import type { SessionOptions } from '../session/options.js';
import type { HeaderMaker } from './message.js';
import type { LoadStats } from './stats.js';

export interface WorkerPlan {
  session: SessionOptions;
  perConnection: number;
  from: string;
  to: string[];
  pipelining: boolean;
  user?: string;
  password?: string;
  body: Buffer;
  headers: HeaderMaker;
  /** Takes one message from the run's budget; false when the run is over. */
  take(): boolean;
}

async function authenticate(established: Established, plan: WorkerPlan): Promise<void> {
  const { connection, context, capabilities } = established;
  const mechanism = pickMechanism(capabilities?.authMechanisms ?? []);
  if (!mechanism || !connection.protocol.sasl) throw new MailprobeError('AUTH_FAILED', 'the server offers no AUTH mechanism mailprobe can use');
  const client = createSaslClient(mechanism, { user: plan.user as string, secret: plan.password ?? '' });
  const { ok, reply } = await runSasl(connection, connection.protocol.sasl, client, context, capabilities);
  if (!ok) throw new MailprobeError('AUTH_FAILED', `login refused: ${reply.last.text}`);
}

/** One message; returns the code that decided it (250 accepted). */
async function sendMessage(established: Established, plan: WorkerPlan, pipelining: boolean, stats: LoadStats): Promise<number> {
  const { connection } = established;
  const commands = [`MAIL FROM:<${plan.from}>`, ...plan.to.map((to) => `RCPT TO:<${to}>`), 'DATA'];
  const replies: Reply[] = [];
  if (pipelining) {
    // One write for the whole envelope (RFC 2920).
    connection.socket.cork();
    for (const command of commands) connection.send(command);
    connection.socket.uncork();
    for (const command of commands) replies.push(await connection.reply(command.split(':')[0]));
  } else {
    for (const command of commands) {
      connection.send(command);
      const reply = await connection.reply(command.split(':')[0]);
      replies.push(reply);
      if (replyCode(reply) >= 400) break;
    }
  }
  const refused = replies.find((reply, i) => (i === replies.length - 1 ? replyCode(reply) !== 354 : replyCode(reply) >= 400));
  if (refused) {
    // A refused DATA after pipelining still needs the envelope cleared.
    if (replyCode(replies[replies.length - 1]) === 354) {
      connection.send('.');
      await connection.reply('end of DATA');
    }
    connection.send('RSET');
    await connection.reply('RSET');
    return replyCode(refused) || 554;
  }
  const headers = plan.headers.next();
  // Headers, the shared body and the final dot in one write; with PIPELINING the RSET
  // that clears the envelope for the next message goes along too.
  connection.socket.cork();
  connection.sendRaw(headers);
  connection.sendRaw(plan.body);
  connection.send('.');
  if (pipelining) connection.send('RSET');
  connection.socket.uncork();
  stats.bytesSent += headers.length + plan.body.length + 3;
  let code = 0;
  // LMTP answers once per recipient: the worst answer decides.
  const finals = connection.outstanding - (pipelining ? 1 : 0);
  for (let i = 0; i < finals; i++) code = Math.max(code, replyCode(await connection.reply('end of DATA')));
  if (!pipelining) connection.send('RSET');
  await connection.reply('RSET');
  return code;
}

export async function runWorker(plan: WorkerPlan, stats: LoadStats): Promise<void> {
  if (!plan.take()) return;
  let established: Established;
  try {
    established = await connectSilently(plan.session);
  } catch (error) {
    stats.connectionFailed(error instanceof Error ? error.message : String(error));
    return;
  }
  stats.connectionsOpened++;
  stats.connectMs.push(established.timings.connectMs);
  if (established.timings.tlsMs !== undefined) stats.tlsMs.push(established.timings.tlsMs - established.timings.connectMs);
  const { connection } = established;
  let first = true;
  try {
    if (plan.session.mode !== 'starttls') await connection.reply('greeting');
    if (plan.session.mode !== 'starttls' || plan.session.noEhlo) {
      connection.send(`${plan.session.protocol.name === 'lmtp' ? 'LHLO' : 'EHLO'} ${established.context.clientName}`);
      established.capabilities = connection.protocol.capabilitiesFrom?.('EHLO', await connection.reply('EHLO'));
    }
    if (plan.user) await authenticate(established, plan);
    const pipelining = plan.pipelining && !!established.capabilities?.keywords.has('PIPELINING');
    for (let n = 0; n < plan.perConnection && (first || plan.take()); n++) {
      first = false;
      const started = performance.now();
      const code = await sendMessage(established, plan, pipelining, stats);
      stats.messageMs.push(performance.now() - started);
      if (code >= 200 && code < 300) stats.accepted++;
      else stats.failed(code);
    }
  } catch (error) {
    stats.connectionFailed(error instanceof Error ? error.message : String(error));
  } finally {
    if (!connection.closed) {
      connection.send('QUIT');
      await Promise.race([connection.reply('QUIT').catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    }
    connection.close();
  }
}
