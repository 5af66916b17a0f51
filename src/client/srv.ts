// Service records (RFC 6186 for mail submission and access, RFC 8314's submissions and
// imaps/pop3s, RFC 5804's sieve): where a mail client would connect for a domain, each
// target a connection to try in order, with the protocol and mode the service names, the
// certificate checked against the target, and the domain named so the report can say
// whether the certificate is good for it too (RFC 6125 §6.2.1: the source domain is a
// reference identifier; the target only when the SRV answer is DNSSEC-secure, RFC 7673).
import { hostAddresses, srvRecords } from '../dns/mail.js';
import { dnsError, type StubResolver } from '../dns/stub.js';
import { SERVICES } from '../protocols/registry.js';
import { formatHostPort } from '../transport/address.js';
import type { ServerTarget, SessionOptions } from './options.js';
import { usageError } from '../errors.js';

/** The services mailprobe looks up as SRV records (RFC 6186, RFC 8314, RFC 5804, RFC 6120). */
export const SRV_SERVICES = ['submissions', 'submission', 'imaps', 'imap', 'pop3s', 'pop3', 'sieve', 'xmpp-client', 'xmpp-server'];

export async function srvTargets(domain: string, service: string, base: SessionOptions, resolver: StubResolver, note: (text: string) => void): Promise<ServerTarget[]> {
  const known = SERVICES.get(service);
  if (!known || !SRV_SERVICES.includes(service)) throw usageError(`--srv: "${service}" is not a service mailprobe looks up`, `one of ${SRV_SERVICES.join(', ')}`);
  const srv = await srvRecords(resolver, service, domain);
  if (srv.unavailable) throw dnsError(`${srv.name} says the service is not offered (target ".")`, 'there is nothing to connect to');
  if (srv.records.length === 0) throw dnsError(`no SRV records at ${srv.name}`, `connect to the host directly with -connect HOST:${known.port}`);
  note(`${srv.name}: ${srv.records.map((record) => `${record.priority} ${record.weight} ${record.port} ${record.target}`).join(', ')} (DNSSEC ${srv.status})`);
  const targets: ServerTarget[] = [];
  for (const record of srv.records) {
    const addresses = await hostAddresses(resolver, record.target).catch(() => undefined);
    if (!addresses || addresses.addresses.length === 0) {
      note(`${record.target}: no address, skipped`);
      continue;
    }
    for (const address of addresses.addresses) {
      targets.push({
        label: `${record.target} ${formatHostPort(address, record.port)}`,
        options: {
          ...base,
          host: address,
          port: record.port,
          mode: known.mode,
          protocol: known.protocol,
          tls: { ...base.tls, host: record.target, servername: base.tls.servername ?? record.target, sourceDomain: domain },
        },
      });
    }
  }
  if (targets.length === 0) throw dnsError(`no SRV target of ${srv.name} has an address`);
  return targets;
}
