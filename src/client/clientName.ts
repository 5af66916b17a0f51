// The EHLO/LHLO name: this machine's FQDN when it has one, else the address literal of
// the local end of the connection (RFC 5321 §4.1.3), never a made-up example name.
import { hostname } from 'node:os';
import { isIP } from 'node:net';

/** The machine's name, asked of the system once (a load run names itself thousands of times). */
let machine: string | undefined;

/** `local` gives the connection's own address, asked for only when the name is not usable. */
export function defaultClientName(local: { readonly localAddress?: string }): string {
  const name = (machine ??= hostname());
  if (name.includes('.') && !name.endsWith('.localdomain') && !isIP(name)) return name;
  const localAddress = local.localAddress;
  if (!localAddress) return '[127.0.0.1]';
  const address = localAddress.replace(/^::ffff:(?=\d+\.)/, '');
  return isIP(address) === 6 ? `[IPv6:${address}]` : `[${address}]`;
}
