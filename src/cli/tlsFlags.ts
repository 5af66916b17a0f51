// The rest of s_client's TLS options (and swaks' names for them): versions, groups,
// signature algorithms, the key log, a client certificate, how the certificate is judged
// (-verify_hostname, -verify_depth, -attime), saved sessions and the OCSP staple. Files are
// read here, so a bad one is a usage error before anything touches the network.
import { closeSync, openSync } from 'node:fs';
import { readFlagFile } from './flagFile.js';
import { usageError } from '../errors.js';
import { TLS_VERSIONS, type ClientCertificate, type TlsSettings, type TlsVersion } from '../transport/tlsOptions.js';
import type { FlagSpec } from './flags.js';
import { readPassSource } from './passSource.js';
import { pemSession } from '../transport/session.js';

export const TLS_FLAGS: FlagSpec[] = [
  { name: 'tls1', aliases: ['tls1.0'], help: 'use TLS 1.0 only (OpenSSL security level 0: a test of old servers)' },
  { name: 'tls1_1', aliases: ['tls1.1'], help: 'use TLS 1.1 only (OpenSSL security level 0)' },
  { name: 'tls1_2', aliases: ['tls1.2'], help: 'use TLS 1.2 only' },
  { name: 'tls1_3', aliases: ['tls1.3'], help: 'use TLS 1.3 only' },
  { name: 'no_tls1', aliases: ['no-tls1'], help: 'do not offer TLS 1.0' },
  { name: 'no_tls1_1', aliases: ['no-tls1_1'], help: 'do not offer TLS 1.1' },
  { name: 'no_tls1_2', aliases: ['no-tls1_2'], help: 'do not offer TLS 1.2' },
  { name: 'no_tls1_3', aliases: ['no-tls1_3'], help: 'do not offer TLS 1.3' },
  { name: 'min_protocol', value: 'version', aliases: ['min-protocol'], help: 'the lowest version offered: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3' },
  { name: 'max_protocol', value: 'version', aliases: ['max-protocol'], help: 'the highest version offered' },
  { name: 'tls_protocol', value: 'list', aliases: ['tls-protocol', 'tlsp'], help: 'swaks: versions to use (tlsv1_2,tlsv1_3) or not (no_tlsv1,no_tlsv1_1)' },
  { name: 'groups', value: 'list', aliases: ['curves'], help: 'key exchange groups offered, colon-separated (X25519:P-256)' },
  { name: 'sigalgs', value: 'list', help: 'signature algorithms offered, colon-separated (ECDSA+SHA256:rsa_pss_rsae_sha256)' },
  { name: 'keylogfile', value: 'file', help: 'append the TLS session keys to FILE (NSS key log format, for Wireshark)' },
  { name: 'cert', value: 'file', aliases: ['tls-cert'], help: 'client certificate (PEM, its chain may follow), offered when the server asks' },
  { name: 'key', value: 'file', aliases: ['tls-key'], help: 'private key of -cert (PEM; default: the -cert file)' },
  { name: 'pass', value: 'source', help: 'pass phrase of -key or -pkcs12: pass:TEXT, env:VAR, file:PATH or fd:N' },
  { name: 'pkcs12', value: 'file', help: 'client certificate and key from a PKCS#12 file' },
  { name: 'verify_hostname', value: 'name', aliases: ['verify-hostname'], help: 'the name the certificate must hold (default: the -servername, else the host)' },
  { name: 'verify', value: 'depth', help: 'as s_client: verify the chain, at most DEPTH intermediate CA certificates' },
  { name: 'verify_depth', value: 'depth', aliases: ['verify-depth'], help: 'at most DEPTH intermediate CA certificates in the chain' },
  { name: 'attime', value: 'unix-time', help: 'judge the certificates\' validity dates at this moment (seconds since 1970)' },
  { name: 'sess_out', value: 'file', aliases: ['sess-out'], help: 'save the TLS session (and each new ticket) to FILE, as s_client does (PEM)' },
  { name: 'sess_in', value: 'file', aliases: ['sess-in'], help: 'resume the TLS session saved in FILE (by -sess_out or s_client)' },
  { name: 'reconnect', help: 'reconnect 5 times resuming the session, saying each time whether it was resumed' },
  { name: 'status', help: 'ask for the OCSP staple and show it, verified against the issuer' },
  { name: 'msg', help: 'show each TLS handshake message and record as it passes (TLS 1.3\'s encrypted ones opened with the session\'s keys)' },
  { name: 'debug', help: 'show every chunk of bytes read from and written to the server, as a hex dump' },
];

/** The TLS flags every connecting command takes (-reconnect, -status, -msg and -debug belong to the session). */
export const CONNECTION_TLS_FLAGS = TLS_FLAGS.filter((flag) => !['reconnect', 'status', 'msg', 'debug'].includes(flag.name)).map((flag) => flag.name);

export interface TlsFlags {
  tls1?: boolean;
  tls1_1?: boolean;
  tls1_2?: boolean;
  tls1_3?: boolean;
  no_tls1?: boolean;
  no_tls1_1?: boolean;
  no_tls1_2?: boolean;
  no_tls1_3?: boolean;
  min_protocol?: string;
  max_protocol?: string;
  tls_protocol?: string;
  groups?: string;
  sigalgs?: string;
  keylogfile?: string;
  cert?: string;
  key?: string;
  pass?: string;
  pkcs12?: string;
  verify_hostname?: string;
  verify?: string;
  verify_depth?: string;
  attime?: string;
  sess_out?: string;
  sess_in?: string;
  reconnect?: boolean;
  status?: boolean;
  msg?: boolean;
  debug?: boolean;
}

/** Node's own default: TLS 1.2 and 1.3. */
const DEFAULT_VERSIONS: TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

function versionNamed(text: string, flag: string): TlsVersion | undefined {
  const found = TLS_VERSIONS.find((v) => v.toLowerCase() === text.toLowerCase().replace(/_/g, '.').replace(/^tlsv1\.0$/, 'tlsv1'));
  if (found) return found;
  if (/^none$/i.test(text)) return undefined;
  if (/^ssl/i.test(text)) throw usageError(`${flag} ${text}: Node's OpenSSL has no SSL 2 or 3`, 'test SSLv3 with an OpenSSL built with it (openssl s_client -ssl3)');
  throw usageError(`${flag} ${text} is not a protocol version`, 'say TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3');
}

/** swaks' -tlsp: a list of versions to use, or (all with no_) versions not to use. */
function swaksProtocols(list: string): { use?: TlsVersion[]; avoid: TlsVersion[] } {
  const items = list.split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);
  const negative = items.filter((item) => item.startsWith('no_'));
  if (negative.length > 0 && negative.length !== items.length) throw usageError(`--tls-protocol ${list}: versions to use and not to use cannot be mixed (as in swaks)`);
  const named = (item: string) => versionNamed(item.replace(/^no_/, '').replace(/^tlsv/, 'TLSv').replace(/_/g, '.'), '--tls-protocol') as TlsVersion;
  return negative.length ? { avoid: items.map(named) } : { use: items.map(named), avoid: [] };
}

/** The versions offered, as a range (Node's TLS takes a minimum and a maximum, nothing in between). */
function versionsOf(flags: TlsFlags): TlsSettings['versions'] {
  const only = (['tls1', 'tls1_1', 'tls1_2', 'tls1_3'] as const).filter((name) => flags[name]);
  if (only.length > 1) throw usageError(`${only.map((name) => `-${name}`).join(' and ')} cannot be used together`);
  const swaks = flags.tls_protocol === undefined ? undefined : swaksProtocols(flags.tls_protocol);
  let enabled: TlsVersion[];
  if (only.length === 1) enabled = [TLS_VERSIONS[['tls1', 'tls1_1', 'tls1_2', 'tls1_3'].indexOf(only[0])]];
  else if (swaks?.use) enabled = TLS_VERSIONS.filter((v) => swaks.use?.includes(v));
  else {
    const min = flags.min_protocol === undefined ? undefined : versionNamed(flags.min_protocol, '-min_protocol');
    const max = flags.max_protocol === undefined ? undefined : versionNamed(flags.max_protocol, '-max_protocol');
    const low = TLS_VERSIONS.indexOf(min ?? (flags.min_protocol === undefined ? 'TLSv1.2' : 'TLSv1'));
    const high = max === undefined ? TLS_VERSIONS.length - 1 : TLS_VERSIONS.indexOf(max);
    if (low > high) throw usageError(`-min_protocol ${flags.min_protocol} is above -max_protocol ${flags.max_protocol}`);
    enabled = TLS_VERSIONS.slice(low, high + 1);
  }
  const removed = (['no_tls1', 'no_tls1_1', 'no_tls1_2', 'no_tls1_3'] as const).flatMap((name, i) => (flags[name] ? [TLS_VERSIONS[i]] : []));
  enabled = enabled.filter((v) => !removed.includes(v) && !swaks?.avoid.includes(v));
  if (enabled.length === 0) throw usageError('no TLS version is left to offer', 'drop one of the -no_tls1_x flags');
  const first = TLS_VERSIONS.indexOf(enabled[0]);
  const gap = TLS_VERSIONS.slice(first, first + enabled.length).some((v, i) => v !== enabled[i]);
  if (gap) throw usageError(`the versions asked for (${enabled.join(', ')}) have a gap: Node's TLS offers one range of versions, from a minimum to a maximum`, 'ask for a range with -min_protocol and -max_protocol');
  if (enabled.length === DEFAULT_VERSIONS.length && enabled.every((v, i) => v === DEFAULT_VERSIONS[i])) return undefined;
  return { min: enabled[0], max: enabled[enabled.length - 1] };
}

/** A file mailprobe will append to (created 0600: keys and sessions are secrets), checked now. */
function writable(path: string, flag: string): string {
  try {
    closeSync(openSync(path, 'a', 0o600));
    return path;
  } catch (error) {
    throw usageError(`cannot write ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function clientCertificate(flags: TlsFlags, env: NodeJS.ProcessEnv): ClientCertificate | undefined {
  const passphrase = flags.pass === undefined ? undefined : readPassSource(flags.pass, '-pass', env);
  if (flags.pkcs12 !== undefined) {
    if (flags.cert !== undefined || flags.key !== undefined) throw usageError('-pkcs12 holds the certificate and key: it goes without -cert and -key');
    return { pfx: readFlagFile(flags.pkcs12, '-pkcs12'), passphrase };
  }
  if (flags.cert === undefined) {
    if (flags.key !== undefined) throw usageError('-key goes with -cert FILE');
    if (flags.pass !== undefined) throw usageError('-pass goes with -key, -cert or -pkcs12');
    return undefined;
  }
  const cert = readFlagFile(flags.cert, '-cert').toString('latin1');
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw usageError(`-cert ${flags.cert} holds no PEM certificate`, 'give the certificate in PEM (or use -pkcs12 for a .p12/.pfx file)');
  const key = flags.key === undefined ? cert : readFlagFile(flags.key, '-key').toString('latin1');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) throw usageError(`${flags.key === undefined ? `-cert ${flags.cert} holds no private key: give it with -key FILE` : `-key ${flags.key} holds no PEM private key`}`);
  return { cert, key, passphrase };
}

function depthOf(flags: TlsFlags): number | undefined {
  const given = (['verify', 'verify_depth'] as const).flatMap((flag) => (flags[flag] === undefined ? [] : [[flag, flags[flag] as string] as const]));
  const depths = given.map(([flag, text]) => {
    if (!/^\d{1,3}$/.test(text)) throw usageError(`-${flag} ${text} is not a depth`, `give a whole number of intermediate CA certificates, e.g. -${flag} 2`);
    return Number(text);
  });
  if (depths.length === 2 && depths[0] !== depths[1]) throw usageError(`-verify ${flags.verify} and -verify_depth ${flags.verify_depth} disagree`);
  return depths[0];
}

function atTimeOf(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,12}$/.test(text)) throw usageError(`-attime ${text} is not a time`, 'give seconds since 1970 (date +%s), e.g. -attime 1767225600');
  return new Date(Number(text) * 1000);
}

/** The TLS settings these flags ask for (to be spread over the rest). */
export function resolveTlsFlags(flags: TlsFlags, env: NodeJS.ProcessEnv): Partial<TlsSettings> {
  return {
    versions: versionsOf(flags),
    groups: flags.groups,
    sigalgs: flags.sigalgs,
    keylogFile: flags.keylogfile === undefined ? undefined : writable(flags.keylogfile, '-keylogfile'),
    clientCertificate: clientCertificate(flags, env),
    verifyHostname: flags.verify_hostname,
    verifyDepth: depthOf(flags),
    atTime: atTimeOf(flags.attime),
    session: flags.sess_in === undefined ? undefined : sessionFile(flags.sess_in),
    sessionOut: flags.sess_out === undefined ? undefined : writable(flags.sess_out, '-sess_out'),
    status: flags.status,
    trace: flags.msg || flags.debug ? { msg: flags.msg, debug: flags.debug } : undefined,
    inspectHandshake: true,
  };
}

function sessionFile(path: string): Buffer {
  const session = pemSession(readFlagFile(path, '-sess_in').toString('latin1'));
  if (!session) throw usageError(`-sess_in ${path} holds no "SSL SESSION PARAMETERS" PEM block`, 'give a file written by -sess_out (mailprobe or openssl s_client)');
  return session;
}
