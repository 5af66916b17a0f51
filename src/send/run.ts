// One test message, the way swaks sends it: find the server (given, or the recipient
// domain's MX), connect (cleartext, STARTTLS or implicit TLS) through the one connection
// core, banner, EHLO, AUTH through the one login path, then the one SMTP/LMTP transaction,
// stopping after --quit-after's stage. Every failure is named by its stage and gives that
// stage's exit code (stages.ts).
//
//   connect → banner → EHLO → [STARTTLS → TLS → EHLO] → [AUTH] → MAIL → RCPT… → DATA → message → QUIT
import { setTimeout as delay } from 'node:timers/promises';
import { establish } from '../client/establish.js';
import type { ConnectionObserver } from '../client/events.js';
import { login } from '../client/login.js';
import type { SessionOptions } from '../client/options.js';
import type { ServerConnection } from '../client/connection.js';
import { EXIT_CODES, MailprobeError, messageOf } from '../errors.js';
import { parseEhloCapabilities } from '../protocols/smtp/capabilities.js';
import { hello } from '../protocols/smtp/starttls.js';
import { forward } from '../protocols/smtp/xclient.js';
import { replyCode, replyText } from '../protocols/smtp/reply.js';
import { isRefusal, replyLine, sendData, sendEnvelope, type MessageExchange, type Refusal } from '../protocols/smtp/transaction.js';
import type { ModeName } from '../protocols/registry.js';
import type { Capabilities, DialogueContext, Exchange, QuitStage } from '../protocols/types.js';
import type { MechanismName } from '../sasl/index.js';
import type { Printer } from '../terminal/printer.js';
import { mailHosts } from './mx.js';
import { StubResolver } from '../dns/stub.js';
import { nameservers } from '../dns/servers.js';
import type { SendObserver } from './observer.js';
import { exitCodeAt, SEND_EXIT, sendHint, STAGE_NAMES, stageOfCommand, stageOfError, type SendStage } from './stages.js';

export interface SendRequest {
  /** --server; undefined: the MX of the first recipient's domain. */
  server?: string;
  /** --port, or the port in --server. */
  port?: number;
  /** --tls (STARTTLS, required), --tlsc (implicit TLS), or neither (cleartext). */
  mode: ModeName;
  /** Options for one host and port (the rest comes from the flags). */
  session(host: string, port: number): SessionOptions;
  /** HELO (SMTP), EHLO (ESMTP) or LHLO (LMTP). */
  greeting: 'HELO' | 'EHLO' | 'LHLO';
  from: string;
  to: string[];
  message: Buffer;
  auth?: { user: string; secret: string; mechanism?: MechanismName };
  quitAfter?: QuitStage;
  pipeline: boolean;
  suppressData: boolean;
  /** --resolver: the DNS servers for the MX lookup. */
  resolvers?: string[];
  /** --xclient (and swaks' --xclient-addr …): XCLIENT after EHLO, then EHLO again. */
  xclient?: [string, string][];
}

export interface SendDeps {
  /** The DNS resolver for the MX lookup (--resolver, else those of /etc/resolv.conf). */
  resolver?: StubResolver;
}

/** The default port for the way of connecting: 465 for implicit TLS, 24 for LMTP, else 25. */
export function defaultPort(mode: SessionOptions['mode'], greeting: SendRequest['greeting']): number {
  if (mode === 'tls') return 465;
  return greeting === 'LHLO' ? 24 : 25;
}

/** A refusal at `stage`: the stage's exit code, the server's reply attached. */
class StageRefused extends MailprobeError {
  constructor(
    readonly stage: SendStage,
    message: string,
    reply: string,
  ) {
    super('PROTOCOL', message, { reply });
  }
}

const stageOfRefusal = (refusal: Refusal): SendStage =>
  refusal.stage === 'MAIL FROM' ? 'mail' : refusal.stage === 'DATA' ? 'data' : refusal.stage === 'end of DATA' ? 'message' : 'rcpt';

const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> =>
  Promise.race([promise, delay(ms, undefined, { ref: false })]);

/** QUIT, and its 221 read (with any replies still owed before it), briefly. */
async function quit(connection: ServerConnection): Promise<void> {
  if (connection.closed || connection.phase !== 'READY' || connection.framer.inContent()) return connection.close();
  connection.send('QUIT');
  for (let i = 0; i < 8 && !connection.closed; i++) {
    const reply = await within(connection.reply('QUIT').catch(() => undefined), 2000);
    if (!reply || replyCode(reply) === 221) break;
  }
  connection.close();
}

/**
 * The transaction's exchange: message content is shown (or summed up) as it goes, and with
 * --pipeline MAIL, every RCPT and DATA go out together (RFC 2920) — the transaction then
 * reads their replies in order as usual.
 */
function transactionExchange(connection: ServerConnection, observer: SendObserver, suppress: boolean, batch: string[] | undefined): MessageExchange {
  const ahead: string[] = [];
  return {
    send(line, shown) {
      if (ahead[0] === line) return void ahead.shift();
      if (batch && line === batch[0]) {
        for (const each of batch) connection.send(each);
        ahead.push(...batch.slice(1));
        batch = undefined;
        return;
      }
      connection.send(line, shown);
    },
    sendMessage: (bytes, shown, how) => connection.sendMessage(bytes, shown, how),
    reply: (stage) => connection.reply(stage),
    sendRaw(bytes) {
      observer.content(bytes, suppress);
      connection.sendRaw(bytes);
    },
    get unread() {
      return connection.unread;
    },
  };
}

export async function runSend(request: SendRequest, observer: SendObserver, printer: Printer, deps: SendDeps = {}): Promise<number> {
  let stage: SendStage = 'connect';
  const tracked: ConnectionObserver = {
    sent(shown, by, echo) {
      stage = stageOfCommand(shown) ?? stage;
      observer.sent(shown, by, echo);
    },
    lines: (lines) => observer.lines(lines),
    event(event) {
      if (event.kind === 'connected') stage = 'banner';
      if (event.kind === 'connecting') stage = 'connect';
      observer.event(event);
    },
  };
  let connection: ServerConnection | undefined;
  const stop = (at: QuitStage) => {
    if (request.quitAfter !== at) return false;
    observer.note(`quitting after ${at} as asked (--quit-after ${at})`);
    return true;
  };
  try {
    let hosts: string[];
    if (request.server) hosts = [request.server];
    else {
      const domain = request.to[0].slice(request.to[0].lastIndexOf('@') + 1);
      hosts = await mailHosts(domain, deps.resolver ?? new StubResolver(nameservers(request.resolvers), request.session(domain, 25).timeoutMs));
      observer.note(`MX for ${domain}: ${hosts.join(', ')}`);
    }
    const { mode } = request;
    const port = request.port ?? defaultPort(mode, request.greeting);
    // Stages before TLS stop before STARTTLS; quitting after TLS needs no second EHLO.
    const connectMode = request.quitAfter === 'connect' || (request.quitAfter === 'banner' && mode === 'starttls') ? 'plain' : mode;
    const optionsFor = (host: string): SessionOptions => ({ ...request.session(host, port), mode: connectMode, noEhlo: request.quitAfter === 'tls' });
    let options = optionsFor(hosts[0]);
    let established;
    // Each MX in turn while none can be reached (RFC 5321 §5.1); any other failure ends it.
    for (let i = 0; ; i++) {
      options = optionsFor(hosts[i]);
      try {
        established = await establish(options, tracked);
        break;
      } catch (error) {
        const unreachable = error instanceof MailprobeError && ['CONNECT', 'CONNECT_TIMEOUT', 'DNS'].includes(error.code) && stage === 'connect';
        if (!unreachable || i === hosts.length - 1) throw error;
        observer.note(`${messageOf(error)}; trying the next MX`);
      }
    }
    connection = established.connection;
    const { context } = established;
    if (stop('connect')) return EXIT_CODES.OK;

    let capabilities: Capabilities | undefined = established.capabilities;
    if (options.mode !== 'starttls') {
      const banner = await connection.reply('greeting');
      if (replyCode(banner) !== 220) throw new StageRefused('banner', `the server refused the session in its banner (${replyCode(banner) || 'malformed reply'})`, replyText(banner));
      if (stop('banner') || (mode === 'tls' && stop('tls'))) return EXIT_CODES.OK;
      if (request.greeting === 'HELO') {
        connection.send(`HELO ${context.clientName}`);
        const reply = await connection.reply('HELO');
        if (replyCode(reply) !== 250) throw new StageRefused('ehlo', `the server rejected HELO (${replyCode(reply) || 'malformed reply'})`, replyText(reply));
      } else {
        capabilities = parseEhloCapabilities(await hello(connection, request.greeting, context));
      }
    } else if (stop('tls')) return EXIT_CODES.OK;
    if (request.xclient) capabilities = await xclientStage(connection, request.xclient, capabilities, context);
    if (stop('ehlo')) return EXIT_CODES.OK;

    if (request.auth) {
      const target = { connection, protocol: connection.protocol, context, capabilities };
      const outcome = await login(target, { user: request.auth.user, secret: request.auth.secret, mechanism: request.auth.mechanism, host: options.tls.servername ?? options.host, port }, options);
      if (!outcome.ok) {
        throw new MailprobeError('AUTH_FAILED', `authentication as ${request.auth.user} with ${outcome.how} failed`, { reply: replyLine(outcome.reply) });
      }
      observer.note(`authenticated as ${request.auth.user} with ${outcome.how}`);
    }
    if (stop('auth')) return EXIT_CODES.OK;

    const offersPipelining = !!capabilities?.keywords.has('PIPELINING');
    if (request.pipeline && !offersPipelining) observer.note('the server does not offer PIPELINING: one command at a time');
    const to = request.quitAfter === 'mail' ? [] : request.to;
    const withData = request.quitAfter !== 'mail' && request.quitAfter !== 'rcpt';
    const batch = request.pipeline && offersPipelining ? [`MAIL FROM:<${request.from}>`, ...to.map((address) => `RCPT TO:<${address}>`), ...(withData ? ['DATA'] : [])] : undefined;
    const exchange = transactionExchange(connection, observer, request.suppressData, batch);
    const envelope = await sendEnvelope(exchange, request.from, to);
    if (envelope) throw refusedAt(envelope);
    if (stop('mail') || stop('rcpt')) return EXIT_CODES.OK;
    const outcome = await sendData(exchange, request.message);
    if (isRefusal(outcome)) throw refusedAt(outcome);
    for (const id of outcome.queueIds) observer.note(`queued as ${id}`);
    if (outcome.queueIds.length === 0) observer.note('message accepted');
    return EXIT_CODES.OK;
  } catch (error) {
    const failure = error instanceof MailprobeError ? error : new MailprobeError('INTERNAL', `unexpected error: ${messageOf(error)}`, { cause: error });
    const at = failure instanceof StageRefused ? failure.stage : stageOfError(failure, stage);
    const exitCode = failure instanceof StageRefused ? (SEND_EXIT[at] ?? failure.exitCode) : exitCodeAt(at, failure);
    printer.error(new MailprobeError(failure.code, `${STAGE_NAMES[at]} failed (exit ${exitCode}): ${failure.message}`, { hint: sendHint(failure), reply: failure.reply, bytes: failure.bytes }));
    return exitCode;
  } finally {
    if (connection) await quit(connection);
  }
}

/** XCLIENT where offered, then EHLO again: refusals of either are swaks' 33 and 34. */
async function xclientStage(connection: Exchange, attributes: [string, string][], capabilities: Capabilities | undefined, context: DialogueContext): Promise<Capabilities | undefined> {
  try {
    return (await forward(connection, 'XCLIENT', attributes, capabilities, context)).capabilities;
  } catch (error) {
    if (!(error instanceof MailprobeError)) throw error;
    const afterwards = error.command?.startsWith('EHLO');
    throw new StageRefused(afterwards ? 'xclient_ehlo' : 'xclient', error.message, error.reply ?? '');
  }
}

function refusedAt(refusal: Refusal): StageRefused {
  const at = stageOfRefusal(refusal);
  const what = at === 'message' ? 'the message after the final dot' : refusal.stage;
  return new StageRefused(at, `the server refused ${what} (${replyCode(refusal.reply) || 'malformed reply'})`, replyLine(refusal.reply));
}
