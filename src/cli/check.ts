// `mailprobe check HOST[:PORT]...` and `mailprobe cert HOST[:PORT]`: one-shot checks for
// cron, monitoring and CI, with exit codes a monitor can act on.
import { goodbye } from '../client/goodbye.js';
import { runTarget, type CheckOptions } from '../checks/runTarget.js';
import { connectUnobserved } from '../client/establish.js';
import { CHECK_EXIT, type TargetReport } from '../checks/types.js';
import { EXIT_CODES, MailprobeError, usageError } from '../errors.js';
import { readPassFile } from '../client/secrets.js';
import { checkJson, formatDomainHeader, formatDomainSummary, formatTargetReport } from '../checks/report.js';
import { checkDomain, type DomainReport } from '../checks/domain.js';
import { StubResolver } from '../dns/stub.js';
import { nameservers } from '../dns/servers.js';
import { srvTargets } from '../client/srv.js';
import { escapeText } from '../terminal/escape.js';
import type { Printer } from '../terminal/printer.js';
import { formatTlsReport } from '../terminal/tlsReport.js';
import { CERT_FLAGS, CHECK_FLAGS } from './flags.js';
import { commandHelp } from './help.js';
import type { MainIo } from './io.js';
import { commandContext, normaliseArgv } from './normalise.js';
import { parseArgs, type ParsedFlags } from './program.js';
import { parseTimeout, resolveSession, type SessionFlags } from './resolve.js';

type Flags = ParsedFlags;

const CHECK_HELP_TAIL = [
  'Exit codes: 0 every check ok, 1 warnings only, 2 a check failed, 3 could not run (usage, DNS, connect),',
  '13 --user credentials held back by the credential policy (--allow-plaintext-auth, --insecure lift it).',
  'Checks: connect, greeting, tls.starttls / tls.handshake, certificate.chain, certificate.hostname,',
  'certificate.expiry, certificate.key, certificate.signature, certificate.chain_complete,',
  'certificate.ocsp_staple, tls.versions, tls.resumption, capabilities.auth_before_tls, capabilities.list, smtp.relay,',
  'auth.login, smtp.send, dane (with --dane-tlsa-rrdata).',
];

function positiveInt(value: ParsedFlags[string], name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usageError(`--${name} ${String(value)} is not a whole number`);
  return n;
}

function pair(value: ParsedFlags[string], name: string): { from: string; to: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const [from, to] = value.split(' ');
  if (!from?.includes('@') || !to?.includes('@')) throw usageError(`--${name} needs two addresses: FROM TO`);
  return { from: from.replace(/^<|>$/g, ''), to: to.replace(/^<|>$/g, '') };
}

/** Runs promises with at most `limit` in flight, keeping results in input order. */
async function pool<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>, each: (result: R, index: number) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const done: boolean[] = new Array(items.length).fill(false);
  let next = 0;
  let printed = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]);
      done[index] = true;
      // Reports are printed in input order, each kept together.
      while (printed < items.length && done[printed]) each(results[printed], printed++);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export async function checkCommand(argv: string[], io: MainIo, printer: Printer, version: string): Promise<number> {
  let flags: Flags;
  let targets: string[];
  let check: CheckOptions;
  try {
    ({ flags, positional: targets } = parseArgs(normaliseArgv(argv, CHECK_FLAGS, commandContext('check')), CHECK_FLAGS));
    if (flags.help) {
      io.stdout.write(commandHelp('Usage: mailprobe check HOST[:PORT]... [--starttls PROTO | --tls] [flags]', CHECK_FLAGS, CHECK_HELP_TAIL) + '\n');
      return CHECK_EXIT.OK;
    }
    if (targets.length === 0 && !flags.srv) throw usageError('no target given', 'usage: mailprobe check HOST[:PORT]... (see --help)');
    const passFile = typeof flags.pass_file === 'string' ? flags.pass_file : undefined;
    check = {
      warnDays: positiveInt(flags.warn_days, 'warn-days', 21),
      critDays: positiveInt(flags.crit_days, 'crit-days', 7),
      user: typeof flags.user === 'string' ? flags.user : undefined,
      password: typeof flags.password === 'string' ? flags.password : io.env.MAILPROBE_PASSWORD || (passFile ? readPassFile(passFile) : undefined),
      relayTest: pair(flags.relay_test, 'relay-test'),
      send: pair(flags.send, 'send'),
      versions: !flags.no_versions,
      resumption: !!flags.resumption,
    };
    if (check.user && check.password === undefined) throw usageError(`no password for --user ${check.user}`, 'give --password, MAILPROBE_PASSWORD or --pass-file');
    if (flags.mx) return await checkDomains(targets, flags, check, io, printer, version);
    if (flags.srv) return await checkService(targets, flags, check, io, printer, version);
    if (flags.first || flags.port !== undefined || flags.resolver !== undefined) throw usageError('--first, --port and --resolver go with --mx DOMAIN', 'e.g. mailprobe check --mx example.org');
    const concurrency = positiveInt(flags.concurrency, 'concurrency', 4) || 1;
    const sessions = targets.map((target) => resolveSession({ ...(flags as SessionFlags), connect: target }, []).options);
    const reports = await pool(sessions, concurrency, (options) => runTarget(options, check), (report: TargetReport) => {
      if (!flags.json) printer.lines(formatTargetReport(report, printer.palette, !!flags.quiet));
    });
    const exitCode = Math.max(...reports.map((r) => r.exitCode));
    if (flags.json) io.stdout.write(checkJson(reports, version, exitCode) + '\n');
    return exitCode;
  } catch (error) {
    if (!(error instanceof MailprobeError)) throw error;
    printer.error(error);
    return CHECK_EXIT.ERROR;
  }
}

export async function certCommand(argv: string[], io: MainIo, printer: Printer): Promise<number> {
  const { flags, positional } = parseArgs(normaliseArgv(argv, CERT_FLAGS, commandContext('cert')), CERT_FLAGS);
  if (flags.help) {
    io.stdout.write(commandHelp('Usage: mailprobe cert HOST[:PORT] [--starttls PROTO | --tls] [--pem]', CERT_FLAGS, ['Exit codes as for a session (see mailprobe -help); 8 with --verify-return-error when the certificate does not verify.']) + '\n');
    return EXIT_CODES.OK;
  }
  if (positional.length !== 1) throw usageError('give one HOST[:PORT]', 'usage: mailprobe cert HOST[:PORT] [--starttls PROTO]');
  const { options } = resolveSession({ ...(flags as SessionFlags), connect: positional[0] }, []);
  if (options.mode === 'plain') throw usageError('-plain has no certificate to show');
  // The certificate needs no greeting: a port no protocol is known for is not waited on.
  const { connection, context } = await connectUnobserved({ ...options, noEhlo: true }, { recognise: false });
  const info = connection.tls;
  if (options.mode === 'starttls') goodbye(connection, context);
  connection.close();
  if (!info) throw new MailprobeError('TLS_HANDSHAKE', 'no TLS session was established');
  if (flags.pem) io.stdout.write(info.chain.map((cert) => cert.pem.trimEnd()).join('\n') + '\n');
  else {
    const lines = formatTlsReport(info, printer.palette);
    printer.lines(lines.slice(lines.findIndex((line) => line.includes('Certificate'))));
  }
  if (!info.verdict.verified && flags.verify_return_error) {
    printer.error(new MailprobeError('CERT_VERIFY', `certificate verification failed: ${escapeText(info.verdict.reasons.join('; '))}`));
    return EXIT_CODES.CERT_VERIFY;
  }
  return EXIT_CODES.OK;
}

/** check --mx: each domain's MX hosts and addresses, in order, with a summary per domain. */
async function checkDomains(domains: string[], flags: Flags, check: CheckOptions, io: MainIo, printer: Printer, version: string): Promise<number> {
  for (const domain of domains) {
    if (!/^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62}\.?)*$/i.test(domain) || domain.includes(':')) {
      throw usageError(`--mx takes mail domains: "${domain}" is not one`, 'e.g. mailprobe check --mx example.org');
    }
  }
  if (flags.starttls || flags.tls || flags.plain || flags.proto) throw usageError('--mx always speaks STARTTLS smtp, as a sending server does', 'leave out --starttls/--tls/--plain/--proto');
  const port = positiveInt(flags.port, 'port', 25);
  if (port < 1 || port > 65_535) throw usageError(`--port ${port} is not a port number`);
  const resolver = new StubResolver(nameservers(flags.resolver as string[] | undefined), parseTimeout(flags.timeout as string | undefined));
  // The template every address's options start from; host, port and names are each target's.
  const base = resolveSession({ ...(flags as SessionFlags), connect: `${domains[0]}:${port}`, starttls: 'smtp' }, []).options;
  const domainReports: DomainReport[] = [];
  const targets: TargetReport[] = [];
  for (const domain of domains) {
    const result = await checkDomain(domain.replace(/\.$/, '').toLowerCase(), base, check, { resolver, port, first: !!flags.first }, {
      domain: (report) => flags.json || printer.lines(formatDomainHeader(report, printer.palette)),
      target: (report) => flags.json || printer.lines(formatTargetReport(report, printer.palette, !!flags.quiet)),
    });
    domainReports.push(result.domain);
    targets.push(...result.targets);
    if (!flags.json) printer.lines(formatDomainSummary(result.domain, result.targets, printer.palette));
  }
  const exitCode = Math.max(...domainReports.map((d) => d.exitCode), ...targets.map((t) => t.exitCode));
  if (flags.json) io.stdout.write(checkJson(targets, version, exitCode, domainReports) + '\n');
  return exitCode;
}

/** check --srv DOMAIN SERVICE: every target the service record names, in its order. */
async function checkService(extra: string[], flags: Flags, check: CheckOptions, io: MainIo, printer: Printer, version: string): Promise<number> {
  if (extra.length > 0) throw usageError(`--srv takes DOMAIN SERVICE and no other target ("${extra[0]}")`);
  if (flags.starttls || flags.tls || flags.plain || flags.proto || flags.port) throw usageError('--srv chooses the protocol, mode and port from the service', 'leave out --starttls, --tls, --plain, --proto and --port');
  const [domain, service] = String(flags.srv).split(' ').map((part) => part.replace(/\.$/, '').toLowerCase());
  const base = resolveSession({ ...(flags as SessionFlags), connect: `${domain}:25`, starttls: 'smtp' }, []).options;
  const resolver = new StubResolver(nameservers(flags.resolver as string[] | undefined), base.timeoutMs);
  const targets = await srvTargets(domain, service, base, resolver, (text) => flags.json || printer.note(text));
  const reports: TargetReport[] = [];
  for (const target of targets) {
    const report = await runTarget(target.options, check);
    report.domain = domain;
    report.srvTarget = target.options.tls.host;
    report.address = target.options.host;
    reports.push(report);
    if (!flags.json) printer.lines(formatTargetReport(report, printer.palette, !!flags.quiet));
  }
  const exitCode = Math.max(...reports.map((r) => r.exitCode));
  if (flags.json) io.stdout.write(checkJson(reports, version, exitCode) + '\n');
  return exitCode;
}
