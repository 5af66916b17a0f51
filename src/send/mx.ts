// Where a message for a domain goes when no --server is given (RFC 5321 §5.1): the MX
// hosts, lowest preference first; with no MX records at all, the domain itself when it has
// an address (the "implicit MX"); a null MX (RFC 7505) means the domain takes no mail. The
// resolver is passed in, so tests never ask real DNS.
import { promises as dns } from 'node:dns';
import { MailprobeError } from '../errors.js';

export interface MxResolver {
  resolveMx(domain: string): Promise<{ exchange: string; priority: number }[]>;
  resolve4(domain: string): Promise<string[]>;
  resolve6(domain: string): Promise<string[]>;
}

export const systemResolver: MxResolver = {
  resolveMx: (domain) => dns.resolveMx(domain),
  resolve4: (domain) => dns.resolve4(domain),
  resolve6: (domain) => dns.resolve6(domain),
};

/** "The name exists but has no records of this type": ENODATA (NOERROR, empty answer). */
const NO_DATA = new Set(['ENODATA']);
/** NXDOMAIN. */
const NO_DOMAIN = new Set(['ENOTFOUND']);

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);

function dnsError(message: string, cause?: unknown): MailprobeError {
  return new MailprobeError('DNS', message, { cause, hint: 'give the server with --server HOST[:PORT]' });
}

async function addresses(domain: string, resolver: MxResolver): Promise<boolean> {
  const results = await Promise.allSettled([resolver.resolve4(domain), resolver.resolve6(domain)]);
  for (const result of results) if (result.status === 'fulfilled' && result.value.length > 0) return true;
  const failure = results.find((result) => result.status === 'rejected' && !NO_DATA.has(codeOf(result.reason)));
  if (failure?.status === 'rejected') {
    if (NO_DOMAIN.has(codeOf(failure.reason))) throw dnsError(`the domain ${domain} does not exist (NXDOMAIN)`, failure.reason);
    throw dnsError(`looking up the address of ${domain} failed: ${codeOf(failure.reason)}`, failure.reason);
  }
  return false;
}

/** The hosts to try for `domain`, in order. Throws a DNS error (exit 3) when there are none. */
export async function mailHosts(domain: string, resolver: MxResolver = systemResolver): Promise<string[]> {
  let records: { exchange: string; priority: number }[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (error) {
    const code = codeOf(error);
    if (NO_DOMAIN.has(code)) throw dnsError(`the domain ${domain} does not exist (NXDOMAIN)`, error);
    if (!NO_DATA.has(code)) throw dnsError(`looking up the MX of ${domain} failed: ${code}`, error);
    records = [];
  }
  if (records.length === 0) {
    if (await addresses(domain, resolver)) return [domain];
    throw dnsError(`${domain} has no MX and no address (A or AAAA) record: it takes no mail`);
  }
  // RFC 7505: a single MX of "." says the domain accepts no mail at all.
  const hosts = records.map((record) => ({ ...record, exchange: record.exchange.replace(/\.$/, '') }));
  if (hosts.some((record) => record.exchange === '')) throw dnsError(`${domain} publishes a null MX (RFC 7505): it accepts no mail`);
  // Stable: records of equal preference keep the resolver's (randomised) order.
  return hosts.sort((a, b) => a.priority - b.priority).map((record) => record.exchange);
}
