// `mailprobe --mx DOMAIN`: where a sending server would deliver, as session targets. The
// MX hosts in preference order and each address, every one with the MX name to verify the
// certificate against, its TLSA records when DNSSEC lets them count (RFC 7672), and the
// domain's MTA-STS policy (RFC 8461) for the TLS report to judge.
import type { ServerTarget, SessionOptions } from '../client/options.js';
import { hostAddresses, mailExchangers, tlsaRecords } from '../dns/mail.js';
import { dnsError, type StubResolver } from '../dns/stub.js';
import { loadPolicy, mxMatches } from '../policy/mtaSts.js';
import { mxOptions, usableTlsa } from '../client/mxOptions.js';
import { formatTlsa } from '../transport/dane.js';
import { formatHostPort } from '../transport/address.js';

export type MxTarget = ServerTarget;

/** Every address of every MX, in the order a sender tries them; `note` hears what DNS said. */
export async function mxTargets(domain: string, port: number, base: SessionOptions, resolver: StubResolver, note: (text: string) => void): Promise<MxTarget[]> {
  const mx = await mailExchangers(resolver, domain);
  if (mx.kind === 'null') throw dnsError(`${domain} publishes a null MX (RFC 7505): it accepts no mail`, 'there is nothing to connect to');
  const listed = mx.hosts.map((host) => `${host.preference} ${host.host}`).join(', ');
  note(`${domain}: ${mx.kind === 'implicit' ? 'no MX records, so the domain itself' : `MX ${listed}`} (DNSSEC ${mx.status})`);
  const sts = await loadPolicy(domain, resolver, base.tls, base.timeoutMs);
  note(sts.policy ? `${domain}: MTA-STS ${sts.policy.mode}, mx ${sts.policy.mx.join(' ') || 'none'} (id ${sts.id})` : `${domain}: no MTA-STS policy (${sts.error})`);
  const targets: MxTarget[] = [];
  for (const host of mx.hosts) {
    const addresses = await hostAddresses(resolver, host.host).catch(() => undefined);
    if (!addresses || addresses.addresses.length === 0) {
      note(`${host.host}: no address, skipped`);
      continue;
    }
    const secure = mx.status === 'secure' && addresses.status === 'secure';
    const tlsa = secure ? await tlsaRecords(resolver, { ...addresses, host: host.host }, port) : undefined;
    const usable = usableTlsa(mx.status, addresses.status, tlsa);
    if (tlsa?.status === 'bogus') note(`${host.host}: the TLSA answer at ${tlsa.name} fails DNSSEC validation (bogus): a sender would not deliver here`);
    else if (usable) note(`${host.host}: DANE, TLSA at ${usable.name}: ${usable.records.map((record) => formatTlsa(record)).join(', ')}`);
    else note(`${host.host}: no DANE (${secure ? 'no TLSA records' : 'the MX or address answers are not signed'})`);
    for (const address of addresses.addresses) {
      const mtaSts = sts.policy && { mode: sts.policy.mode, mx: host.host, mxMatch: sts.policy.mx.some((pattern) => mxMatches(pattern, host.host)) };
      targets.push({
        label: `${host.host} ${formatHostPort(address, port)}`,
        options: mxOptions(base, { mx: host.host, address, port, servername: base.tls.servername ?? host.host }, usable, mtaSts),
      });
    }
  }
  if (targets.length === 0) throw dnsError(`no MX of ${domain} has an address`, 'check the MX hosts\' A and AAAA records');
  return targets;
}
