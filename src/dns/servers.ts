// Which nameservers to ask: --resolver IP[:PORT] (repeatable), else those of
// /etc/resolv.conf, else the local resolver, as the C library does.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { usageError } from '../errors.js';
import type { Nameserver } from './stub.js';

/** "192.0.2.53", "192.0.2.53:5353", "::1", "[::1]:5353". Names are refused: they would need DNS. */
export function parseResolver(text: string): Nameserver {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(text);
  const [host, port] = bracketed ? [bracketed[1], bracketed[2]] : isIP(text) === 6 ? [text, undefined] : plain ? [plain[1], plain[2]] : [text, undefined];
  if (!isIP(host)) throw usageError(`--resolver ${text} is not an IP address (with an optional :PORT)`, 'e.g. --resolver 127.0.0.1 or --resolver [::1]:5353');
  const number = port === undefined ? 53 : Number(port);
  if (!Number.isInteger(number) || number < 1 || number > 65_535) throw usageError(`--resolver ${text}: the port must be 1-65535`);
  return { host, port: number };
}

export function systemNameservers(path = '/etc/resolv.conf'): Nameserver[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // No resolv.conf: the C library then asks the local resolver.
  }
  const servers = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)]
    .map((match) => match[1].replace(/%.*$/, ''))
    .filter((host) => isIP(host))
    .map((host) => ({ host, port: 53 }));
  return servers.length > 0 ? servers : [{ host: '127.0.0.1', port: 53 }];
}

export function nameservers(given: string[] | undefined): Nameserver[] {
  return given && given.length > 0 ? given.map(parseResolver) : systemNameservers();
}
