// `mailprobe check --mx DOMAIN`: mail to a domain as a sending MTA sees it. Every MX in
// preference order, every address of each, STARTTLS on port 25 and the usual checks, with
// the certificate judged against the MX name, plus DNSSEC and DANE (RFC 7672) per address.
import { hostAddresses, mailExchangers, tlsaRecords, type HostAddresses, type MailExchangers, type TlsaLookup } from '../dns/mail.js';
import type { DnssecStatus, StubResolver } from '../dns/stub.js';
import { messageOf } from '../errors.js';
import { smtp } from '../protocols/smtp/index.js';
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
  error?: string;
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
  const usable = where.mxStatus === 'secure' && where.host.status === 'secure' && where.tlsa?.status === 'secure' && where.tlsa.records.length > 0;
  const options: SessionOptions = {
    ...base,
    host: where.address,
    port: where.port,
    mode: 'starttls',
    protocol: smtp,
    tls: { ...base.tls, host: where.mx.host, servername: where.mx.host, dane: usable ? { records: where.tlsa!.records, domain: where.tlsa!.base } : undefined },
  };
  const report = await runTarget(options, check);
  report.domain = where.domain;
  report.mx = where.mx.host;
  report.preference = where.mx.preference;
  report.address = where.address;
  report.checks.push(dnssecCheck(where.mxStatus, where.host.status));
  const dane = daneWithoutMatch(where.mxStatus, where.host, where.tlsa);
  if (dane) report.checks.push(dane);
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

/** Every MX and address of `domain`; `each` sees each target's report as soon as it is made. */
export async function checkDomain(
  domain: string,
  base: SessionOptions,
  check: CheckOptions,
  how: DomainOptions,
  each: (report: TargetReport) => void,
): Promise<{ domain: DomainReport; targets: TargetReport[] }> {
  const report: DomainReport = { domain, verdict: 'ok', exitCode: 0, mx: undefined, checks: [] };
  const targets: TargetReport[] = [];
  let mx: MailExchangers;
  try {
    mx = await mailExchangers(how.resolver, domain);
  } catch (error) {
    return { domain: { ...report, verdict: 'error', exitCode: exitCodeOf('error'), error: messageOf(error) }, targets };
  }
  report.mx = { kind: mx.kind, status: mx.status, hosts: mx.hosts };
  if (mx.kind === 'null') {
    report.checks.push({ id: 'mx', verdict: 'info', summary: `${domain} publishes a null MX (RFC 7505): it accepts no mail`, details: { kind: 'null' } });
    return { domain: { ...report, verdict: 'info', exitCode: 0 }, targets };
  }
  const listed = mx.hosts.map((host) => `${host.preference} ${host.host}`).join(', ');
  report.checks.push({
    id: 'mx',
    verdict: mx.status === 'bogus' ? 'fail' : 'ok',
    summary: mx.kind === 'implicit' ? `no MX records: the domain itself takes mail (RFC 5321 §5.1)` : `MX ${listed}`,
    details: { kind: mx.kind, status: mx.status },
  });
  for (const host of mx.hosts) {
    let addresses: HostAddresses;
    let tlsa: TlsaLookup | undefined;
    try {
      addresses = await hostAddresses(how.resolver, host.host);
      if (addresses.addresses.length === 0) {
        report.checks.push({ id: 'mx.address', verdict: 'fail', summary: `${host.host} has no address (A or AAAA)`, details: { mx: host.host } });
        continue;
      }
      if (mx.status === 'secure' && addresses.status === 'secure') tlsa = await tlsaRecords(how.resolver, { ...addresses, host: host.host }, how.port);
    } catch (error) {
      report.checks.push({ id: 'mx.address', verdict: 'fail', summary: `${host.host}: ${messageOf(error)}`, details: { mx: host.host } });
      continue;
    }
    let answered = false;
    for (const address of addresses.addresses) {
      const target = await checkAddress(base, check, { domain, mx: host, address, mxStatus: mx.status, host: addresses, tlsa, port: how.port });
      targets.push(target);
      each(target);
      answered ||= target.verdict !== 'error';
    }
    if (how.first && answered) break;
  }
  const verdicts = [...report.checks, ...targets.map((target) => ({ verdict: target.verdict === 'error' ? 'fail' : target.verdict }) as CheckResult)];
  report.verdict = targets.length === 0 && !report.checks.some((c) => c.verdict === 'fail') ? 'error' : worst(verdicts);
  report.exitCode = exitCodeOf(report.verdict);
  return { domain: report, targets };
}
