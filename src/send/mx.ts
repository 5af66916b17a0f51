// Where a message for a domain goes when no --server is given (RFC 5321 §5.1): the MX
// hosts, lowest preference first; with no MX records at all, the domain itself when it has
// an address (the "implicit MX"); a null MX (RFC 7505) means the domain takes no mail. The
// questions go through mailprobe's own stub resolver, as for check --mx.
import { hostAddresses, mailExchangers } from '../dns/mail.js';
import type { StubResolver } from '../dns/stub.js';
import { MailprobeError, messageOf } from '../errors.js';

function dnsError(message: string, cause?: unknown): MailprobeError {
  return new MailprobeError('DNS', message, { cause, hint: 'give the server with --server HOST[:PORT], or another resolver with --resolver IP' });
}

/** The hosts to try for `domain`, in order. Throws a DNS error (exit 3) when there are none. */
export async function mailHosts(domain: string, resolver: StubResolver): Promise<string[]> {
  try {
    const mx = await mailExchangers(resolver, domain);
    if (mx.kind === 'null') throw dnsError(`${domain} publishes a null MX (RFC 7505): it accepts no mail`);
    if (mx.kind === 'implicit' && (await hostAddresses(resolver, domain)).addresses.length === 0) {
      throw dnsError(`${domain} has no MX and no address (A or AAAA) record: it takes no mail`);
    }
    return mx.hosts.map((host) => host.host);
  } catch (error) {
    if (error instanceof MailprobeError && error.code === 'DNS') throw dnsError(error.message, error);
    throw dnsError(`looking up the mail hosts of ${domain} failed: ${messageOf(error)}`, error);
  }
}
