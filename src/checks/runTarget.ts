// `mailprobe check` for one target: connect, greeting, TLS, certificate, versions,
// capabilities, and on request login, relay refusal and an end-to-end message.
import { goodbye } from '../client/goodbye.js';
import { MailprobeError, messageOf } from '../errors.js';
import { login, loginMethod } from '../client/login.js';
import { replyCode } from '../protocols/smtp/reply.js';
import { isRefusal, replyLine, sendEnvelope, sendMessage } from '../protocols/smtp/transaction.js';
import type { Capabilities } from '../protocols/types.js';
import type { Established } from '../client/establish.js';
import type { SessionOptions } from '../client/options.js';
import { testMessage } from '../protocols/testMessage.js';
import { formatHostPort } from '../transport/address.js';
import { certificateChecks, type ExpiryThresholds } from './certificate.js';
import { connectUnobserved } from '../client/establish.js';
import { probeVersions, type VersionProbe } from './probe.js';
import { resumptionCheck } from './resumption.js';
import { exitCodeOf, worst, type CheckResult, type TargetReport } from './types.js';
import { now } from '../clock.js';

export interface CheckOptions extends ExpiryThresholds {
  user?: string;
  password?: string;
  relayTest?: { from: string; to: string };
  send?: { from: string; to: string };
  /** Probe TLS 1.0-1.3 with one connection each. */
  versions: boolean;
  /** --resumption: five more connections, to see whether sessions are resumed. */
  resumption?: boolean;
}

const NOTABLE = ['SIZE', 'PIPELINING', '8BITMIME', 'SMTPUTF8', 'REQUIRETLS', 'CHUNKING', 'DSN', 'ENHANCEDSTATUSCODES', 'IDLE', 'CONDSTORE', 'QRESYNC', 'MOVE', 'SPECIAL-USE', 'LITERAL+', 'SASL-IR', 'UTF8=ACCEPT', 'UIDL', 'TOP', 'PIPELINING', 'SIEVE', 'NOTIFY'];

function capabilityChecks(options: SessionOptions, pre: Capabilities | undefined, post: Capabilities | undefined): CheckResult[] {
  const results: CheckResult[] = [];
  if (pre && pre.authMechanisms.length > 0) {
    results.push({ id: 'capabilities.auth_before_tls', verdict: 'warn', summary: `AUTH offered before TLS (${pre.authMechanisms.join(' ')})`, details: { mechanisms: pre.authMechanisms } });
  } else if (options.mode === 'starttls') {
    results.push({ id: 'capabilities.auth_before_tls', verdict: 'ok', summary: 'no AUTH offered before TLS' });
  }
  if (post) {
    const listed = [...post.keywords].filter((k) => NOTABLE.includes(k)).map((k) => (k === 'SIZE' && post.params.get('SIZE')?.[0] ? `SIZE ${post.params.get('SIZE')?.[0]}` : k));
    results.push({
      id: 'capabilities.list',
      verdict: 'info',
      summary: `${listed.join(', ') || 'none of note'}${post.authMechanisms.length ? `; AUTH ${post.authMechanisms.join(' ')}` : ''}`,
      details: { keywords: [...post.keywords], auth: post.authMechanisms, size: post.params.get('SIZE')?.[0] },
    });
  }
  return results;
}

function versionCheck(versions: VersionProbe[]): CheckResult {
  const accepted = versions.filter((v) => v.accepted).map((v) => v.version);
  const old = accepted.filter((v) => v === 'TLSv1' || v === 'TLSv1.1');
  return {
    id: 'tls.versions',
    verdict: old.length > 0 ? 'warn' : accepted.length === 0 ? 'fail' : 'ok',
    summary: `accepts ${accepted.join(', ') || 'none'}${old.length ? ` (${old.join(' and ')} should be turned off)` : ''}`,
    details: Object.fromEntries(versions.map((v) => [v.version, v.accepted])),
  };
}

async function loginCheck(established: Established, options: SessionOptions, check: CheckOptions, capabilities: Capabilities | undefined): Promise<CheckResult> {
  const { connection, context } = established;
  const user = check.user as string;
  const target = { connection, protocol: connection.protocol, context, capabilities };
  let how: string | undefined;
  try {
    const method = loginMethod(target);
    how = method.mechanism ?? method.password;
    const outcome = await login(target, { user, secret: check.password ?? '', host: options.tls.servername ?? options.host, port: options.port }, options);
    how = outcome.how;
    return outcome.ok
      ? { id: 'auth.login', verdict: 'ok', summary: `logged in as ${user} with ${how}`, details: { mechanism: how } }
      : { id: 'auth.login', verdict: 'fail', summary: `login as ${user} with ${how} was refused: ${replyLine(outcome.reply)}`, details: { mechanism: how } };
  } catch (error) {
    // A refusal to send credentials is the user's to lift: it ends the check with exit 13.
    if (error instanceof MailprobeError && error.code === 'CREDENTIALS_REFUSED') throw error;
    return { id: 'auth.login', verdict: 'fail', summary: messageOf(error), details: { mechanism: how } };
  }
}

async function relayCheck(established: Established, relay: { from: string; to: string }): Promise<CheckResult> {
  const { connection } = established;
  const refusal = await sendEnvelope(connection, relay.from, [relay.to]);
  connection.send('RSET');
  await connection.reply('RSET');
  if (!refusal) {
    return { id: 'smtp.relay', verdict: 'fail', summary: `OPEN RELAY: the server accepted a recipient at ${relay.to} without authentication` };
  }
  const code = replyCode(refusal.reply);
  return { id: 'smtp.relay', verdict: 'ok', summary: `relay refused at ${refusal.stage}: ${replyLine(refusal.reply)}`, details: { code } };
}

async function sendCheck(established: Established, send: { from: string; to: string }): Promise<CheckResult> {
  const message = testMessage(send.from, [send.to], established.context.clientName);
  const outcome = await sendMessage(established.connection, send.from, [send.to], message);
  if (isRefusal(outcome)) return { id: 'smtp.send', verdict: 'fail', summary: `refused at ${outcome.stage}: ${replyLine(outcome.reply)}` };
  const id = outcome.queueIds[0];
  return { id: 'smtp.send', verdict: 'ok', summary: id ? `delivered: queued as ${id}` : `delivered: ${outcome.finals[0]?.last.text}`, details: { queueId: id } };
}

export async function runTarget(options: SessionOptions, check: CheckOptions): Promise<TargetReport> {
  const started = now();
  const report: TargetReport = {
    target: formatHostPort(options.host, options.port),
    host: options.host,
    port: options.port,
    mode: options.mode,
    protocol: options.protocol.name,
    verdict: 'ok',
    exitCode: 0,
    timings: { totalMs: 0 },
    checks: [],
  };
  let refused: MailprobeError | undefined;
  const finish = () => {
    report.timings.totalMs = Math.round(now() - started);
    if (report.verdict !== 'error') report.verdict = worst(report.checks);
    // Credentials held back by the policy: the same exit code as everywhere else (13).
    report.exitCode = refused ? refused.exitCode : exitCodeOf(report.verdict);
    return report;
  };
  const versionProbe = options.mode !== 'plain' && check.versions ? probeVersions(options) : undefined;
  let established: Established;
  try {
    // The staple is read and verified: a revoked or stale one fails the certificate.
    established = await connectUnobserved({ ...options, tls: { ...options.tls, status: true } });
  } catch (error) {
    const failure = error instanceof MailprobeError ? error : new MailprobeError('INTERNAL', String(error));
    // Not reaching the server at all means the checks could not run; a server that
    // refuses TLS or breaks the handshake is a failed check.
    const unreachable = ['DNS', 'CONNECT', 'USAGE', 'PROXY'].includes(failure.code) || failure.code === 'CONNECT_TIMEOUT';
    if (unreachable) {
      report.verdict = 'error';
      report.error = failure.message;
      report.checks.push({ id: 'connect', verdict: 'fail', summary: failure.message });
      await versionProbe;
      return finish();
    }
    report.checks.push({ id: 'connect', verdict: 'ok', summary: 'connected' });
    report.checks.push({ id: options.mode === 'tls' ? 'tls.handshake' : 'tls.starttls', verdict: 'fail', summary: failure.message + (failure.hint ? `; ${failure.hint}` : ''), details: { code: failure.code } });
    const versions = await versionProbe;
    if (versions && versions.some((v) => v.accepted)) report.checks.push(versionCheck(versions));
    return finish();
  }
  const { connection, timings } = established;
  // On a port no protocol was given for, the greeting named it.
  report.protocol = connection.protocol.name;
  report.timings.connectMs = timings.connectMs;
  report.timings.tlsMs = timings.tlsMs;
  report.checks.push({ id: 'connect', verdict: 'ok', summary: `connected in ${timings.connectMs} ms`, details: { ms: timings.connectMs } });
  try {
    // No greeting is owed when none any protocol knows came (a port no protocol was given
    // for), and none is checked in a protocol where the client speaks first (LDAP, PostgreSQL).
    const greets = options.mode === 'starttls' || connection.outstanding > 0;
    if (options.mode !== 'starttls' && greets) await connection.reply('greeting');
    report.timings.greetingMs = connection.bytesReceived > 0 ? (established.timings.greetingMs ?? undefined) : undefined;
    if (connection.protocol.greets !== false) {
      report.checks.push(
        greets
          ? { id: 'greeting', verdict: 'ok', summary: `greeting after ${report.timings.greetingMs ?? '?'} ms`, details: { ms: report.timings.greetingMs } }
          : { id: 'greeting', verdict: 'fail', summary: 'no greeting of a mail protocol mailprobe knows (give --proto PROTO if the server speaks one)' },
      );
    }
    const info = connection.tls;
    if (options.mode === 'plain') {
      report.checks.push({ id: 'tls.starttls', verdict: 'fail', summary: 'no TLS: the check ran in cleartext (-plain)' });
    } else if (info) {
      report.checks.push({
        id: options.mode === 'tls' ? 'tls.handshake' : 'tls.starttls',
        verdict: 'ok',
        summary: `${options.mode === 'tls' ? 'implicit TLS' : 'STARTTLS'} works: ${info.protocol} ${info.cipher} in ${timings.tlsMs} ms`,
        details: { protocol: info.protocol, cipher: info.cipher, keyExchange: info.keyExchange, ms: timings.tlsMs },
      });
      report.checks.push(...certificateChecks(info, check));
    }
    const versions = await versionProbe;
    if (versions) report.checks.push(versionCheck(versions));
    if (check.resumption && info) report.checks.push(await resumptionCheck(options));
    let post = established.capabilities;
    if (!post && connection.protocol.capabilityCommand) {
      const command = connection.protocol.capabilityCommand(established.context);
      connection.send(command);
      post = connection.protocol.capabilitiesFrom?.(command, await connection.reply('capabilities'));
    }
    report.checks.push(...capabilityChecks(options, established.preTlsCapabilities, post));
    const submits = connection.protocol.submission === 'data';
    if (check.relayTest && submits) {
      report.checks.push(await relayCheck(established, check.relayTest));
    }
    if (check.user) report.checks.push(await loginCheck(established, options, check, post));
    if (check.send && submits) {
      report.checks.push(await sendCheck(established, check.send));
    }
  } catch (error) {
    if (error instanceof MailprobeError && error.code === 'CREDENTIALS_REFUSED') {
      report.checks.push({ id: 'auth.login', verdict: 'fail', summary: `${error.message}; ${error.hint ?? ''}`.replace(/; $/, ''), details: { code: error.code } });
      refused = error;
    } else report.checks.push({ id: 'session', verdict: 'fail', summary: messageOf(error) });
  } finally {
    goodbye(connection, established.context);
    setTimeout(() => connection.close(), 200).unref();
  }
  return finish();
}
