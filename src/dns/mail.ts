// The DNS questions mail delivery asks, each with its DNSSEC status: a domain's MX hosts
// (RFC 5321 §5.1: none → the domain itself; RFC 7505: "0 ." → no mail), a host's
// addresses and the name its CNAMEs lead to, and the TLSA records of a port (RFC 7672).
import { parseTlsaRrdata, type TlsaRecord } from '../transport/dane.js';
import { dnsError, type DnsRecord, type DnssecStatus, type StubResolver } from './stub.js';

export interface MxHost {
  host: string;
  preference: number;
}

export type MailExchangers =
  | { kind: 'mx'; hosts: MxHost[]; status: DnssecStatus }
  /** No MX records: the domain itself is the mail host (an implicit MX). */
  | { kind: 'implicit'; hosts: MxHost[]; status: DnssecStatus }
  /** A null MX (RFC 7505): the domain accepts no mail. */
  | { kind: 'null'; hosts: []; status: DnssecStatus };

const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** The records of `type` owned by `name`, after the CNAMEs the answer holds for it. */
function follow(answers: DnsRecord[], name: string, type: string): { canonical: string; records: DnsRecord[] } {
  let canonical = bare(name);
  for (let hops = 0; hops < 16; hops++) {
    const alias = answers.find((answer) => answer.type === 'CNAME' && bare(answer.name) === canonical);
    if (!alias) break;
    canonical = bare(String(alias.data));
  }
  return { canonical, records: answers.filter((answer) => answer.type === type && bare(answer.name) === canonical) };
}

const worse = (a: DnssecStatus, b: DnssecStatus): DnssecStatus => (a === 'bogus' || b === 'bogus' ? 'bogus' : a === 'insecure' || b === 'insecure' ? 'insecure' : 'secure');

export async function mailExchangers(resolver: StubResolver, domain: string): Promise<MailExchangers> {
  const answer = await resolver.lookup(domain, 'MX');
  if (answer.rcode === 'NXDOMAIN') throw dnsError(`the domain ${domain} does not exist (NXDOMAIN)`);
  if (answer.rcode !== 'NOERROR') throw dnsError(`looking up the MX of ${domain} failed: ${answer.rcode}`);
  const records = follow(answer.answers, domain, 'MX').records.map((record) => {
    const data = record.data as { preference: number; exchange: string };
    return { host: bare(data.exchange), preference: data.preference };
  });
  if (records.length === 0) return { kind: 'implicit', hosts: [{ host: bare(domain), preference: 0 }], status: answer.status };
  if (records.some((record) => record.host === '')) return { kind: 'null', hosts: [], status: answer.status };
  // Stable: equal preferences keep the resolver's order (RFC 5321 §5.1 leaves the choice open).
  return { kind: 'mx', hosts: records.sort((a, b) => a.preference - b.preference), status: answer.status };
}

export interface HostAddresses {
  addresses: string[];
  /** Where the host's CNAMEs lead (the host itself when it has none). */
  canonical: string;
  status: DnssecStatus;
}

export async function hostAddresses(resolver: StubResolver, host: string): Promise<HostAddresses> {
  const [v4, v6] = await Promise.all([resolver.lookup(host, 'A'), resolver.lookup(host, 'AAAA')]);
  const a = follow(v4.answers, host, 'A');
  const aaaa = follow(v6.answers, host, 'AAAA');
  return {
    addresses: [...a.records, ...aaaa.records].map((record) => String(record.data)),
    canonical: a.records.length > 0 ? a.canonical : aaaa.canonical,
    status: worse(v4.status, v6.status),
  };
}

export interface TlsaLookup {
  /** The name the records were found at (the TLSA base domain's _port._tcp name). */
  name: string;
  /** The TLSA base domain: the host, or where its CNAMEs lead (RFC 7672 §2.2.3). */
  base: string;
  status: DnssecStatus;
  records: TlsaRecord[];
  /** Records that could not even be read. */
  malformed: string[];
}

/**
 * TLSA at _PORT._tcp of the host's CNAME target first, then of the host itself, as RFC
 * 7672 §2.2.3 says when the CNAME chain is secure; otherwise of the host alone.
 */
export async function tlsaRecords(resolver: StubResolver, host: HostAddresses & { host: string }, port: number): Promise<TlsaLookup> {
  const bases = host.status === 'secure' && host.canonical !== bare(host.host) ? [host.canonical, bare(host.host)] : [bare(host.host)];
  let found: TlsaLookup | undefined;
  for (const base of bases) {
    const name = `_${port}._tcp.${base}`;
    const answer = await resolver.lookup(name, 'TLSA');
    const raw = follow(answer.answers, name, 'TLSA').records;
    const records: TlsaRecord[] = [];
    const malformed: string[] = [];
    for (const record of raw) {
      const data = record.data as { usage: number; selector: number; matchingType: number; certificate: Buffer };
      const parsed = parseTlsaRrdata(`${data.usage} ${data.selector} ${data.matchingType} ${Buffer.from(data.certificate).toString('hex') || '-'}`);
      if (typeof parsed === 'string') malformed.push(`${data.usage} ${data.selector} ${data.matchingType}: ${parsed}`);
      else records.push(parsed);
    }
    found = { name, base, status: answer.status, records, malformed };
    if (raw.length > 0 || answer.status !== 'secure') return found;
  }
  return found as TlsaLookup;
}

/** The TXT records at `name`, each record's strings joined (RFC 7208 §3.3 style). */
export async function txtRecords(resolver: StubResolver, name: string): Promise<{ status: DnssecStatus; texts: string[] }> {
  const answer = await resolver.lookup(name, 'TXT');
  const texts = follow(answer.answers, name, 'TXT').records.map((record) => {
    const data = record.data as Buffer | string | Array<Buffer | string>;
    return (Array.isArray(data) ? data : [data]).map((part) => Buffer.from(part).toString('utf8')).join('');
  });
  return { status: answer.status, texts };
}

export interface SrvTarget {
  target: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * SRV records for `_SERVICE._tcp.DOMAIN` (RFC 2782, RFC 6186), lowest priority first and,
 * within a priority, heaviest weight first (the order a weighted pick favours). A lone
 * target "." says the service is not offered (RFC 2782; RFC 6186 §3).
 */
export async function srvRecords(resolver: StubResolver, service: string, domain: string): Promise<{ name: string; status: DnssecStatus; records: SrvTarget[]; unavailable: boolean }> {
  const name = `_${service}._tcp.${domain}`;
  const answer = await resolver.lookup(name, 'SRV');
  if (answer.rcode !== 'NOERROR' && answer.rcode !== 'NXDOMAIN') throw dnsError(`looking up ${name} SRV failed: ${answer.rcode}`);
  const records = follow(answer.answers, name, 'SRV').records.map((record) => {
    const data = record.data as { target: string; port: number; priority: number; weight: number };
    return { target: bare(data.target), port: data.port, priority: data.priority, weight: data.weight };
  });
  const unavailable = records.length === 1 && records[0].target === '';
  records.sort((a, b) => a.priority - b.priority || b.weight - a.weight);
  return { name, status: answer.status, records: unavailable ? [] : records, unavailable };
}
