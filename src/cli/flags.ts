// The session's flags, in the spelling `openssl s_client` users already type. Each flag is
// accepted as -name and --name; `aliases` are GNU-style spellings that mean the same.
import { PROTOCOLS } from '../protocols/registry.js';
import { ROUTE_FLAGS } from './routeFlags.js';
import { CONNECTION_TLS_FLAGS, TLS_FLAGS } from './tlsFlags.js';

/** The -starttls names, from the registry: a new protocol appears here by itself. */
export const STARTTLS_NAMES = [...PROTOCOLS.values()].flatMap((spec) => (spec.startTlsName ? [spec.startTlsName] : []));

export interface FlagSpec {
  name: string;
  /** Placeholder for the value, when the flag takes one. */
  value?: string;
  /** How many arguments the value spans (--relay-test FROM TO takes two); default 1. */
  count?: number;
  aliases?: string[];
  /** May be given more than once: every value is kept, in order (a list). */
  repeatable?: boolean;
  /**
   * A further value the flag may take (--haproxy v2 192.0.2.7:4242): the next argument, when
   * it matches and is not the only server given (joined to the value with a space).
   */
  optional?: RegExp;
  /** The flag names the server (-connect, -unix): a further value after another flag is then no server. */
  namesServer?: boolean;
  help: string;
}

export const SESSION_FLAGS: FlagSpec[] = [
  { name: 'connect', value: 'host:port', namesServer: true, help: 'server to connect to (also accepted as the first argument)' },
  { name: 'starttls', value: 'proto', help: `upgrade with the protocol's STARTTLS: ${STARTTLS_NAMES.join(', ')}` },
  { name: 'tls', aliases: ['implicit-tls'], help: 'implicit TLS: the handshake starts at once (465, 993, 995)' },
  { name: 'plain', aliases: ['no-tls'], help: 'no TLS at all: a cleartext session' },
  { name: 'proto', value: 'proto', aliases: ['protocol'], help: 'protocol spoken, when -tls or -plain is used on an unusual port' },
  { name: 'crlf', help: 'send CRLF line endings (the default; accepted for s_client compatibility)' },
  { name: 'lf', help: 'send bare LF line endings, to test a server\'s leniency' },
  { name: 'quiet', aliases: ['q'], help: 'no connection notes, pre-TLS dialogue or TLS report' },
  { name: 'brief', help: 'a one-line TLS report' },
  { name: 'servername', value: 'name', aliases: ['sni'], help: 'SNI name to send (default: the host, unless it is an IP address)' },
  { name: 'noservername', aliases: ['no-sni'], help: 'send no SNI' },
  { name: 'name', value: 'name', aliases: ['ehlo', 'helo'], help: 'EHLO/LHLO name (default: this machine\'s FQDN, else [local address]); XMPP domain; PostgreSQL user' },
  { name: 'xmpphost', value: 'domain', help: 'XMPP domain for the stream header (default: -name, else the host)' },
  { name: 'CAfile', value: 'file', aliases: ['cafile', 'ca-file'], help: 'PEM file of trusted CA certificates (added to the system roots)' },
  { name: 'CApath', value: 'dir', aliases: ['capath', 'ca-path'], help: 'directory of PEM CA certificates (added to the system roots)' },
  { name: 'verify_return_error', aliases: ['verify-return-error', 'strict'], help: 'stop when the certificate does not verify' },
  { name: 'showcerts', aliases: ['show-certs'], help: 'print the PEM of every certificate the server sent' },
  { name: 'cipher', value: 'list', help: 'TLS 1.2 cipher list (OpenSSL syntax)' },
  { name: 'ciphersuites', value: 'list', help: 'TLS 1.3 cipher suites (OpenSSL syntax)' },
  { name: 'alpn', value: 'list', help: 'comma-separated ALPN protocols to offer' },
  ...TLS_FLAGS,
  { name: 'dane_tlsa_rrdata', value: 'U S M hex', aliases: ['dane-tlsa-rrdata'], repeatable: true, help: 'authenticate the server by this TLSA record (DANE, RFC 7672) instead of the CA chain; repeatable' },
  { name: 'dane_tlsa_domain', value: 'name', aliases: ['dane-tlsa-domain'], help: 'the TLSA base domain a DANE-TA(2) certificate must name (default: the host)' },
  { name: 'mx', value: 'domain', help: 'connect to the first MX of DOMAIN that answers, as a sending server would (STARTTLS smtp), with its DNSSEC, DANE and MTA-STS verdicts' },
  { name: 'srv', value: 'domain service', count: 2, help: 'connect where the SRV record _SERVICE._tcp.DOMAIN points (submissions, submission, imaps, imap, pop3s, pop3, sieve, xmpp-client, xmpp-server), with the protocol and mode the service names' },
  { name: 'port', value: 'N', help: 'with --mx: the port on the MX hosts (default 25)' },
  { name: 'resolver', value: 'ip[:port]', repeatable: true, help: 'with --mx or --srv: the DNS resolver to ask (repeatable; default those of /etc/resolv.conf)' },
  { name: 'ign_eof', aliases: ['ign-eof'], help: 'at end of input keep the session open until the server closes' },
  { name: 'no_ehlo', aliases: ['no-ehlo'], help: 'do not repeat EHLO/CAPABILITY/CAPA/CAPABILITIES after the TLS upgrade' },
  { name: 'timeout', value: 'seconds', help: 'give up on connect, greeting, TLS and each dialogue step after this (default 30)' },
  { name: 'ipv4', aliases: ['4'], help: 'use IPv4 only' },
  { name: 'ipv6', aliases: ['6'], help: 'use IPv6 only' },
  ...ROUTE_FLAGS,
  { name: 'raw', help: 'no helper commands: lines starting with ":" go to the server too' },
  { name: 'allow_plaintext_auth', aliases: ['allow-plaintext-auth'], help: 'let credentials (:auth, typed, --user) go over a cleartext connection' },
  { name: 'insecure', help: 'let credentials (:auth, typed, --user) go although the certificate did not verify' },
  { name: 'pass_file', value: 'file', aliases: ['pass-file'], help: 'read the password or token for :auth from the first line of FILE' },
  { name: 'log', value: 'file', help: 'write a transcript with timestamps, secrets redacted' },
  { name: 'script', value: 'file', help: 'run the session from FILE ("-" for stdin), with EXPECT 250 / EXPECT-NOT 5 / EXPECT /re/ lines' },
  { name: 'quit_after', value: 'stage', aliases: ['quit-after', 'q-after'], help: 'QUIT after connect, banner, tls, ehlo, auth, mail, rcpt or data' },
  { name: 'help', aliases: ['h'], help: 'show this help' },
  { name: 'version', aliases: ['v'], help: 'show the version' },
];

/** Flags shared by every command that connects: where, how, and which TLS. */
const CONNECTION = ['starttls', 'tls', 'plain', 'proto', 'servername', 'noservername', 'name', 'xmpphost', 'CAfile', 'CApath', 'dane_tlsa_rrdata', 'dane_tlsa_domain', 'timeout', 'ipv4', 'ipv6', ...ROUTE_FLAGS.map((flag) => flag.name), ...CONNECTION_TLS_FLAGS, 'help'];

/** The credential policy's opt-ins, the same for every command that can log in. */
export const CREDENTIAL_FLAGS = SESSION_FLAGS.filter((flag) => flag.name === 'allow_plaintext_auth' || flag.name === 'insecure');

export const CHECK_FLAGS: FlagSpec[] = [
  ...SESSION_FLAGS.filter((flag) => CONNECTION.includes(flag.name)),
  ...CREDENTIAL_FLAGS,
  { name: 'warn_days', value: 'N', aliases: ['warn-days'], help: 'warn when the certificate expires within N days (default 21)' },
  { name: 'crit_days', value: 'N', aliases: ['crit-days'], help: 'fail when the certificate expires within N days (default 7)' },
  { name: 'user', value: 'user', help: 'check that this user can log in (password from --password, MAILPROBE_PASSWORD or --pass-file)' },
  { name: 'password', value: 'password', help: 'password for --user (prefer MAILPROBE_PASSWORD or --pass-file)' },
  { name: 'pass_file', value: 'file', aliases: ['pass-file'], help: 'read the password from the first line of FILE' },
  { name: 'relay_test', value: 'from to', count: 2, aliases: ['relay-test'], help: 'SMTP: try to relay FROM → TO without authentication; fails if accepted (never sends DATA)' },
  { name: 'send', value: 'from to', count: 2, help: 'SMTP: deliver a test message FROM → TO (after --user login, if given) and report the queue id' },
  { name: 'no_versions', aliases: ['no-versions'], help: 'do not probe TLS 1.0-1.3 with extra connections' },
  { name: 'resumption', help: 'five more connections: does the server resume TLS sessions, and do all servers behind the name share their ticket keys?' },
  { name: 'json', help: 'print one JSON document with every check (shape in README)' },
  { name: 'quiet', aliases: ['q'], help: 'print only failed checks' },
  { name: 'concurrency', value: 'N', help: 'check up to N targets at once (default 4)' },
  { name: 'mx', help: 'the targets are mail domains: check every MX and address of each (STARTTLS smtp, port 25), with DNSSEC and DANE' },
  { name: 'first', help: 'with --mx: stop at the first MX that answers, as a sending server would' },
  { name: 'port', value: 'N', help: 'with --mx: the port to check on every MX (default 25)' },
  { name: 'srv', value: 'domain service', count: 2, help: 'check every target of the SRV record _SERVICE._tcp.DOMAIN (submissions, submission, imaps, imap, pop3s, pop3, sieve, xmpp-client, xmpp-server)' },
  { name: 'resolver', value: 'ip[:port]', repeatable: true, help: 'with --mx or --srv: the DNS resolver to ask (repeatable; default those of /etc/resolv.conf); DNSSEC status is its word' },
];

export const CERT_FLAGS: FlagSpec[] = [
  ...SESSION_FLAGS.filter((flag) => CONNECTION.includes(flag.name)),
  { name: 'pem', help: 'print the PEM chain instead of the report' },
  { name: 'verify_return_error', aliases: ['verify-return-error', 'strict'], help: 'exit 8 when the certificate does not verify' },
  { name: 'status', help: 'show the stapled OCSP response, read and verified against the issuer' },
];
