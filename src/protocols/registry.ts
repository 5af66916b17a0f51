// Every protocol by name, and which one a well-known port implies.
import { ftp } from './ftp/index.js';
import { imap } from './imap/index.js';
import { irc } from './irc/index.js';
import { ldap } from './ldap/index.js';
import { lmtp } from './lmtp/index.js';
import { mysql } from './mysql/index.js';
import { nntp } from './nntp/index.js';
import { pop3 } from './pop3/index.js';
import { postgres } from './postgres/index.js';
import { sieve } from './sieve/index.js';
import { smtp } from './smtp/index.js';
import { xmpp, xmppServer } from './xmpp/index.js';
import type { ProtocolName, ProtocolSpec } from './types.js';

export const PROTOCOLS: ReadonlyMap<ProtocolName, ProtocolSpec> = new Map(
  [smtp, lmtp, imap, pop3, sieve, irc, nntp, ftp, xmpp, xmppServer, ldap, postgres, mysql].map((spec) => [spec.name, spec]),
);

export function protocolByName(name: string): ProtocolSpec | undefined {
  const key = name.toLowerCase() === 'managesieve' ? 'sieve' : name.toLowerCase();
  return PROTOCOLS.get(key as ProtocolName);
}

/**
 * The protocol whose greeting this first server line is (LMTP and FTP before SMTP: all say
 * 220; MySQL's binary handshake, cut at its protocol version byte, matches no text greeting).
 */
export function recogniseGreeting(line: string): ProtocolSpec | undefined {
  return [lmtp, ftp, smtp, imap, pop3, sieve, irc, nntp, xmppServer, xmpp, mysql].find((spec) => spec.recognisesGreeting(line));
}

export type ModeName = 'starttls' | 'tls' | 'plain';

/** The mode and protocol a port implies when no flag chooses (465/993/995 implicit TLS, ...). */
export const PORT_DEFAULTS: ReadonlyMap<number, { mode: ModeName; protocol: ProtocolName }> = new Map(
  [...PROTOCOLS.values()].flatMap((spec) => spec.ports.map((entry) => [entry.port, { mode: entry.mode, protocol: spec.name }] as const)),
);

/** Ports by service name (smtp, submission, imaps, ...), as in /etc/services. */
export const SERVICE_PORTS: ReadonlyMap<string, number> = new Map(
  [...PROTOCOLS.values()].flatMap((spec) => spec.ports.flatMap((entry) => entry.services.map((service) => [service, entry.port] as const))),
);

/** A service name (as in SRV records and /etc/services) → the protocol, mode and port it means. */
export const SERVICES: ReadonlyMap<string, { protocol: ProtocolSpec; mode: ModeName; port: number }> = new Map(
  [...PROTOCOLS.values()].flatMap((spec) => spec.ports.flatMap((entry) => entry.services.map((service) => [service, { protocol: spec, mode: entry.mode, port: entry.port }] as const))),
);
