// host[:port] as users write it: names, IPv4, [IPv6]:port, and ports by service name.
import { isIP } from 'node:net';
import { usageError } from '../errors.js';
import { SERVICE_PORTS } from '../protocols/registry.js';

export { formatHostPort } from '../transport/address.js';

export { SERVICE_PORTS };

export interface Target {
  host: string;
  port?: number;
}

function parsePort(text: string, whole: string): number {
  const byName = SERVICE_PORTS.get(text.toLowerCase());
  if (byName !== undefined) return byName;
  if (!/^\d+$/.test(text)) {
    throw usageError(
      `"${text}" in "${whole}" is not a port number or a known service name`,
      `use a number or one of: ${[...SERVICE_PORTS.keys()].join(', ')}`,
    );
  }
  const port = Number(text);
  if (port < 1 || port > 65535) throw usageError(`port ${text} is out of range (1-65535)`);
  return port;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

export function parseTarget(text: string): Target {
  const whole = text.trim();
  if (!whole) throw usageError('no server given', 'use -connect host:port, e.g. -connect mail.example.com:587');
  let host: string;
  let portText: string | undefined;
  if (whole.startsWith('[')) {
    const close = whole.indexOf(']');
    if (close < 0) throw usageError(`"${whole}" opens "[" but never closes it`, 'write IPv6 addresses as [::1]:25');
    host = whole.slice(1, close);
    const rest = whole.slice(close + 1);
    if (rest && !rest.startsWith(':')) throw usageError(`unexpected "${rest}" after "]" in "${whole}"`);
    portText = rest ? rest.slice(1) : undefined;
    if (isIP(host) !== 6) throw usageError(`"${host}" inside brackets is not an IPv6 address`);
  } else if (whole.indexOf(':') !== whole.lastIndexOf(':') && isIP(whole) === 6) {
    host = whole; // a bare IPv6 address: no port can follow without brackets
  } else {
    const colon = whole.lastIndexOf(':');
    if (colon >= 0 && whole.indexOf(':') !== colon) {
      throw usageError(`"${whole}" looks like an IPv6 address with a port`, 'put the address in brackets: [2001:db8::1]:25');
    }
    host = colon >= 0 ? whole.slice(0, colon) : whole;
    portText = colon >= 0 ? whole.slice(colon + 1) : undefined;
    if (!host) throw usageError(`no host before ":" in "${whole}"`);
    if (!HOSTNAME.test(host) && !isIP(host)) {
      throw usageError(`"${host}" is not a valid host name or address`);
    }
  }
  if (portText === '') throw usageError(`no port after ":" in "${whole}"`);
  return { host, port: portText === undefined ? undefined : parsePort(portText, whole) };
}
