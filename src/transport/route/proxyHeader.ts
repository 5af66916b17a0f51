// The PROXY protocol header (HAProxy's "PROXY protocol" spec, versions 1 and 2): sent first
// on the connection, it tells a server behind a load balancer (Postfix's
// smtpd_upstream_proxy_protocol, Dovecot's haproxy_trusted_networks) who the client is.
import { isIP } from 'node:net';
import { ipv6Bytes } from './socks5.js';

export interface Endpoint {
  address: string;
  port: number;
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** An IPv4 address as IPv6 (::ffff:a.b.c.d), for a pair whose other end is IPv6. */
const mapped = (address: string) => (isIP(address) === 4 ? `::ffff:${address}` : address);

/** Node writes IPv4-mapped IPv6 peers as ::ffff:a.b.c.d; the header wants the IPv4. */
const unmapped = (address: string) => address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');

/** Source and destination in one family (IPv6 when either is). */
function pair(source: Endpoint, destination: Endpoint): { family: 4 | 6; source: Endpoint; destination: Endpoint } {
  const src = { ...source, address: unmapped(source.address) };
  const dst = { ...destination, address: unmapped(destination.address) };
  if (isIP(src.address) === 4 && isIP(dst.address) === 4) return { family: 4, source: src, destination: dst };
  return { family: 6, source: { ...src, address: mapped(src.address) }, destination: { ...dst, address: mapped(dst.address) } };
}

/** The header naming `source` as the client of `destination`; with no addresses (a Unix socket), v1's UNKNOWN or v2's LOCAL. */
export function proxyHeader(version: 1 | 2, source?: Endpoint, destination?: Endpoint): Buffer {
  if (!source || !destination || !isIP(unmapped(source.address)) || !isIP(unmapped(destination.address))) {
    return version === 1 ? Buffer.from('PROXY UNKNOWN\r\n') : Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  }
  const { family, source: src, destination: dst } = pair(source, destination);
  if (version === 1) return Buffer.from(`PROXY TCP${family} ${src.address} ${dst.address} ${src.port} ${dst.port}\r\n`, 'latin1');
  const bytes = (address: string) => (family === 4 ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address));
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(src.port, 0);
  ports.writeUInt16BE(dst.port, 2);
  const addresses = Buffer.concat([bytes(src.address), bytes(dst.address), ports]);
  const head = Buffer.from([0x21, family === 4 ? 0x11 : 0x21, addresses.length >> 8, addresses.length & 0xff]);
  return Buffer.concat([V2_SIGNATURE, head, addresses]);
}
