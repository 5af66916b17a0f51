// Connecting to one address of an MX as a sending server does (RFC 7672, RFC 8461): STARTTLS
// smtp, the certificate judged against the MX name, its TLSA records when DNSSEC lets them
// count, and the domain's MTA-STS policy for the handshake to judge. Shared by check --mx and
// the session's --mx.
import type { DnssecStatus } from '../dns/stub.js';
import type { TlsaLookup } from '../dns/mail.js';
import { smtp } from '../protocols/smtp/index.js';
import type { SessionOptions } from './options.js';

/** TLSA records count only when the MX, the address and the TLSA answers are all secure. */
export function usableTlsa(mxStatus: DnssecStatus, hostStatus: DnssecStatus, tlsa: TlsaLookup | undefined): TlsaLookup | undefined {
  return mxStatus === 'secure' && hostStatus === 'secure' && tlsa?.status === 'secure' && tlsa.records.length > 0 ? tlsa : undefined;
}

export function mxOptions(
  base: SessionOptions,
  target: { mx: string; address: string; port: number; servername: string },
  dane: TlsaLookup | undefined,
  mtaSts?: SessionOptions['tls']['mtaSts'],
): SessionOptions {
  return {
    ...base,
    host: target.address,
    port: target.port,
    mode: 'starttls',
    protocol: smtp,
    tls: { ...base.tls, host: target.mx, servername: target.servername, dane: dane && { records: dane.records, domain: dane.base }, mtaSts },
  };
}
