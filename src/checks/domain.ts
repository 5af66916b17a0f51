// `mailprobe check --mx DOMAIN`: mail to a domain as a sending MTA sees it. Every MX in
// preference order, every address of each, STARTTLS on port 25 and the usual checks, with
// the certificate judged against the MX name, plus DNSSEC and DANE (RFC 7672) per address.
import { hostAddresses, mailExchangers, tlsaRecords, txtRecords, type HostAddresses, type MailExchangers, type TlsaLookup } from '../dns/mail.js';
import { loadPolicy, mxMatches, type StsPolicy } from '../policy/mtaSts.js';
import { tlsRptRecord } from '../policy/tlsRpt.js';
import type { DnssecStatus, StubResolver } from '../dns/stub.js';
import { messageOf } from '../errors.js';
import { mxOptions, usableTlsa } from '../client/mxOptions.js';
import type { SessionOptions } from '../client/options.js';
import { formatTlsa } from '../transport/dane.js';
import { runTarget, type CheckOptions } from './runTarget.js';
import { exitCodeOf, worst, type CheckResult, type TargetReport, type Verdict } from './types.js';

export interface DomainOptions {
  resolver: StubResolver;
  port: number;
  /** Stop at the first MX that answers, as a sending MTA would. */
  first: boolean;
}

export interface DomainReport {
  domain: string;
  verdict: Verdict | 'error';
  exitCode: number;
  mx: { kind: MailExchangers['kind']; status: DnssecStatus; hosts: { host: string; preference: number }[] } | undefined;
  checks: CheckResult[];
  /** The MTA-STS policy found (RFC 8461), or why there is none. */
  mtaSts?: { id?: string; policy?: StsPolicy; error?: string };
  /** The TLS-RPT record found (RFC 8460), or why there is none. */
  tlsRpt?: { rua?: string[]; error?: string };
  error?: string;
}

/** The domain's MTA-STS record and policy as a row. */
async function mtaStsOf(domain: string, base: SessionOptions, how: DomainOptions): Promise<{ row: CheckResult; found: DomainReport['mtaSts'] }> {
  const found = await loadPolicy(domain, how.resolver, base.tls, base.timeoutMs);
  const { id, policy, error } = found;
  if (!policy) {
    const row: CheckResult = found.announced
      ? { id: 'mta_sts', verdict: 'fail', summary: `MTA-STS is announced (id ${id}) but its policy cannot be had: ${error}`, details: { id, mode: null } }
      : { id: 'mta_sts', verdict: found.unknown ? 'warn' : 'info', summary: `no MTA-STS policy: ${error}`, details: { mode: null } };
    return { row, found: { id, error } };
  }
  const summary = `MTA-STS ${policy.mode}, max_age ${policy.maxAge} s, mx ${policy.mx.join(' ') || 'none'} (id ${id})`;
  return { row: { id: 'mta_sts', verdict: policy.mode === 'enforce' ? 'ok' : 'info', summary, details: { id, mode: policy.mode, maxAge: policy.maxAge, mx: policy.mx } }, found: { id, policy } };
}

/** One MX address under an MTA-STS policy: its name among the patterns, its certificate valid for it. */
function mtaStsTarget(policy: StsPolicy, mx: string, report: TargetReport): CheckResult | undefined {
  if (policy.mode === 'none') return undefined;
  const mxMatch = policy.mx.some((pattern) => mxMatches(pattern, mx));
  const pkixValid = ['certificate.chain', 'certificate.hostname'].every((id) => report.checks.find((c) => c.id === id)?.verdict === 'ok');
  const problems = [...(mxMatch ? [] : [`${mx} matches no mx pattern of the policy`]), ...(pkixValid ? [] : [`the certificate is not valid for ${mx} (chain or name)`])];
  const verdict: Verdict = problems.length === 0 ? 'ok' : policy.mode === 'enforce' ? 'fail' : 'warn';
  const summary = problems.length === 0 ? `${mx} is allowed by the ${policy.mode} policy and its certificate is valid for it` : `${policy.mode} policy: ${problems.join('; ')}`;
  return { id: 'mta_sts', verdict, summary, details: { mode: policy.mode, mxMatch, certificateValid: pkixValid } };
}

/** TLS-RPT: where failures are reported; its absence matters once MTA-STS or DANE is in force. */
async function tlsRptOf(domain: string, how: DomainOptions, inForce: boolean): Promise<{ row: CheckResult; found: DomainReport['tlsRpt'] }> {
  const txt = await txtRecords(how.resolver, `_smtp._tls.${domain}`).catch((error: unknown) => ({ texts: [] as string[], error: messageOf(error) }));
  const record = 'error' in txt ? { found: false as const, why: `looking up _smtp._tls.${domain} failed: ${txt.error}` } : tlsRptRecord(txt.texts);
  if (!record.found) {
    const verdict: Verdict = inForce ? 'warn' : 'info';
    return { row: { id: 'tls_rpt', verdict, summary: `no TLS-RPT: ${record.why}${inForce ? ' (MTA-STS or DANE is in force: senders have nowhere to report failures)' : ''}`, details: { rua: [] } }, found: { error: record.why } };
  }
  const verdict: Verdict = record.problems.length ? 'warn' : 'ok';
  const summary = record.problems.length ? `TLS-RPT ${record.rua.join(', ')}: ${record.problems.join('; ')}` : `TLS-RPT reports go to ${record.rua.join(', ')}`;
  return { row: { id: 'tls_rpt', verdict, summary, details: { rua: record.rua, problems: record.problems } }, found: { rua: record.rua } };
}

const DNSSEC_VERDICT: Record<DnssecStatus, Verdict> = { secure: 'ok', insecure: 'info', bogus: 'fail' };

function dnssecCheck(mx: DnssecStatus, addresses: DnssecStatus): CheckResult {
  const status: DnssecStatus = [mx, addresses].includes('bogus') ? 'bogus' : [mx, addresses].includes('insecure') ? 'insecure' : 'secure';
  const words = { secure: 'signed and validated', insecure: 'not signed (insecure)', bogus: 'signed but failing validation (bogus)' };
  return { id: 'dnssec', verdict: DNSSEC_VERDICT[status], summary: `MX answer ${words[mx]}; address answers ${words[addresses]}`, details: { status, mx, addresses } };
}

/** DANE's row when no records went into the handshake (or the handshake never came). */
function daneWithoutMatch(mxStatus: DnssecStatus, host: HostAddresses, tlsa: TlsaLookup | undefined): CheckResult | undefined {
  if (mxStatus !== 'secure' || host.status !== 'secure' || !tlsa) {
    const why = mxStatus === 'bogus' || host.status === 'bogus' ? 'bogus' : 'insecure';
    return {
      id: 'dane',
      verdict: why === 'bogus' ? 'fail' : 'info',
      summary: why === 'bogus' ? 'the MX or address answers fail DNSSEC validation: DANE cannot be used' : 'the MX or address answers are not signed: DANE does not apply (RFC 7672 §2.2)',
      details: { status: why },
    };
  }
  if (tlsa.status === 'bogus') return { id: 'dane', verdict: 'fail', summary: `the TLSA answer for ${tlsa.name} fails DNSSEC validation (bogus): a sender must not deliver`, details: { status: 'bogus' } };
  if (tlsa.status === 'insecure') {
    const ignored = tlsa.records.length > 0 ? ` (${tlsa.records.length} TLSA records ignored)` : '';
    return { id: 'dane', verdict: 'info', summary: `${tlsa.name} is in an unsigned zone: TLSA is not used${ignored}`, details: { status: 'insecure' } };
  }
  if (tlsa.records.length === 0 && tlsa.malformed.length === 0) return { id: 'dane', verdict: 'info', summary: `no TLSA records at ${tlsa.name} (signed zone)`, details: { status: 'none' } };
  return undefined;
}

/** One address of one MX: the usual checks with the MX name, DNSSEC and DANE. */
async function checkAddress(
  base: SessionOptions,
  check: CheckOptions,
  where: { domain: string; mx: { host: string; preference: number }; address: string; mxStatus: DnssecStatus; host: HostAddresses; tlsa?: TlsaLookup; port: number },
): Promise<TargetReport> {
  const dane = usableTlsa(where.mxStatus, where.host.status, where.tlsa);
  const options = mxOptions(base, { mx: where.mx.host, address: where.address, port: where.port, servername: where.mx.host }, dane);
  const report = await runTarget(options, check);
  report.domain = where.domain;
  report.mx = where.mx.host;
  report.preference = where.mx.preference;
  report.address = where.address;
  report.checks.push(dnssecCheck(where.mxStatus, where.host.status));
  const unmatched = daneWithoutMatch(where.mxStatus, where.host, where.tlsa);
  if (unmatched) report.checks.push(unmatched);
  else if (!report.checks.some((c) => c.id === 'dane')) {
    // TLSA published, yet no TLS session to match it against (RFC 7672 §2.2: then no delivery).
    const records = where.tlsa!.records.map((record) => formatTlsa(record)).join(', ');
    report.checks.push({ id: 'dane', verdict: 'fail', summary: `TLSA is published (${records}) but no TLS session could be had to match it`, details: { status: 'invalid' } });
  }
  for (const malformed of where.tlsa?.malformed ?? []) report.checks.push({ id: 'dane', verdict: 'warn', summary: `an unreadable TLSA record: ${malformed}`, details: { status: 'unusable' } });
  report.verdict = report.verdict === 'error' ? 'error' : worst(report.checks);
  report.exitCode = Math.max(report.exitCode, exitCodeOf(report.verdict));
  return report;
}

/** An MX host as DNS describes it: its addresses, and its TLSA records when DNSSEC lets them count. */
interface ResolvedHost {
  host: { host: string; preference: number };
  addresses?: HostAddresses;
  tlsa?: TlsaLookup;
}

/**
 * Every MX and address of `domain`. DNS first (MX, addresses, TLSA, MTA-STS, TLS-RPT), so
 * the domain's own findings come before its hosts: `on` sees them, then each target's
 * report as soon as it is made.
 */
export async function checkDomain(
  domain: string,
  base: SessionOptions,
  check: CheckOptions,
  how: DomainOptions,
  on: { domain(report: DomainReport): void; target(report: TargetReport): void },
): Promise<{ domain: DomainReport; targets: TargetReport[] }> {
  const report: DomainReport = { domain, verdict: 'ok', exitCode: 0, mx: undefined, checks: [] };
  const targets: TargetReport[] = [];
  const finish = () => {
    const verdicts = [...report.checks, ...targets.map((target) => ({ verdict: target.verdict === 'error' ? 'fail' : target.verdict }) as CheckResult)];
    if (report.verdict !== 'error') report.verdict = targets.length === 0 && !report.checks.some((c) => c.verdict === 'fail') && report.mx?.kind !== 'null' ? 'error' : worst(verdicts);
    report.exitCode = exitCodeOf(report.verdict);
    return { domain: report, targets };
  };
  let mx: MailExchangers;
  try {
    mx = await mailExchangers(how.resolver, domain);
  } catch (error) {
    report.verdict = 'error';
    report.error = messageOf(error);
    on.domain(report);
    return finish();
  }
  report.mx = { kind: mx.kind, status: mx.status, hosts: mx.hosts };
  if (mx.kind === 'null') {
    report.checks.push({ id: 'mx', verdict: 'info', summary: `${domain} publishes a null MX (RFC 7505): it accepts no mail`, details: { kind: 'null' } });
    on.domain(report);
    return finish();
  }
  const listed = mx.hosts.map((host) => `${host.preference} ${host.host}`).join(', ');
  report.checks.push({
    id: 'mx',
    verdict: mx.status === 'bogus' ? 'fail' : 'ok',
    summary: mx.kind === 'implicit' ? `no MX records: the domain itself takes mail (RFC 5321 §5.1)` : `MX ${listed}`,
    details: { kind: mx.kind, status: mx.status },
  });
  const hosts: ResolvedHost[] = [];
  for (const host of mx.hosts) {
    try {
      const addresses = await hostAddresses(how.resolver, host.host);
      if (addresses.addresses.length === 0) {
        report.checks.push({ id: 'mx.address', verdict: 'fail', summary: `${host.host} has no address (A or AAAA)`, details: { mx: host.host } });
        continue;
      }
      const tlsa = mx.status === 'secure' && addresses.status === 'secure' ? await tlsaRecords(how.resolver, { ...addresses, host: host.host }, how.port) : undefined;
      hosts.push({ host, addresses, tlsa });
    } catch (error) {
      report.checks.push({ id: 'mx.address', verdict: 'fail', summary: `${host.host}: ${messageOf(error)}`, details: { mx: host.host } });
    }
  }
  const sts = await mtaStsOf(domain, base, how);
  report.mtaSts = sts.found;
  report.checks.push(sts.row);
  const policy = sts.found?.policy;
  // DANE is in force for a host whose TLSA records are secure and published.
  const daneInForce = hosts.some((each) => each.tlsa?.status === 'secure' && each.tlsa.records.length > 0);
  const rpt = await tlsRptOf(domain, how, daneInForce || policy?.mode === 'enforce' || policy?.mode === 'testing');
  report.tlsRpt = rpt.found;
  report.checks.push(rpt.row);
  on.domain(report);

  for (const { host, addresses, tlsa } of hosts) {
    let answered = false;
    for (const address of addresses!.addresses) {
      const target = await checkAddress(base, check, { domain, mx: host, address, mxStatus: mx.status, host: addresses!, tlsa, port: how.port });
      const stsRow = policy && mtaStsTarget(policy, host.host, target);
      if (stsRow) {
        target.checks.push(stsRow);
        target.verdict = target.verdict === 'error' ? 'error' : worst(target.checks);
        target.exitCode = Math.max(target.exitCode, exitCodeOf(target.verdict));
      }
      targets.push(target);
      on.target(target);
      answered ||= target.verdict !== 'error';
    }
    if (how.first && answered) break;
  }
  return finish();
}
