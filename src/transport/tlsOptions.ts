// Turning the user's TLS flags into node:tls options. Verification is judged by mailprobe
// (so an unverified certificate can be reported and the session go on, as with s_client),
// hence rejectUnauthorized is off and the hostname is checked in verify.ts.
import type { TlsaRecord } from './dane.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { usageError } from '../errors.js';

export interface TlsSettings {
  /** Host connected to: the name the certificate must match unless servername is given. */
  host: string;
  /** SNI to send: undefined means "the host, unless it is an IP address". */
  servername?: string;
  noServername?: boolean;
  caFile?: string;
  caPath?: string;
  /** The protocol versions offered (-tls1 … -tls1_3, -no_tls1 …, -min/-max_protocol); Node's default (1.2 to 1.3) when absent. */
  versions?: { min: TlsVersion; max: TlsVersion };
  /** -groups / -curves: key exchange groups, colon-separated (X25519:P-256). */
  groups?: string;
  /** -sigalgs: signature algorithms offered, colon-separated. */
  sigalgs?: string;
  /** -keylogfile: where the session keys are appended (NSS key log format). */
  keylogFile?: string;
  /** -cert/-key/-pass or -pkcs12: the client certificate offered when the server asks. */
  clientCertificate?: ClientCertificate;
  /** -verify_hostname: the name the certificate must hold, instead of the server's. */
  verifyHostname?: string;
  /** -verify N / -verify_depth N: at most N intermediate CA certificates. */
  verifyDepth?: number;
  /** -attime: the moment the certificates' validity is judged at. */
  atTime?: Date;
  /** -sess_in: a saved session (DER) to resume. */
  session?: Buffer;
  /** -sess_out: where the session (and each new ticket) is saved, as PEM. */
  sessionOut?: string;
  /** -status: show the OCSP response the server staples, verified. */
  status?: boolean;
  /** -msg, -debug: every handshake message and record, or every chunk of raw bytes, reported as it passes. */
  trace?: { msg?: boolean; debug?: boolean };
  /** Follow the handshake to say whether the server asked for a client certificate (the load run does not). */
  inspectHandshake?: boolean;
  cipher?: string;
  ciphersuites?: string;
  alpn?: string[];
  /** TLSA records to authenticate the server by (-dane_tlsa_rrdata), and their base domain. */
  dane?: { records: TlsaRecord[]; domain?: string };
  /** The domain an SRV lookup started from (--srv): whether the certificate is good for it too. */
  sourceDomain?: string;
  /** The MTA-STS policy the server's domain publishes (--mx): judged against this handshake. */
  mtaSts?: { mode: 'enforce' | 'testing' | 'none'; mxMatch: boolean; mx: string };
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** Every version Node's OpenSSL can speak, oldest first. */
export const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export type ClientCertificate = { cert: string; key: string; passphrase?: string } | { pfx: Buffer; passphrase?: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function readCaFile(path: string, flag: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw usageError(`cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const certs = text.match(PEM_CERT) ?? [];
  if (certs.length === 0 && flag === '-CAfile') {
    throw usageError(`${flag} ${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  }
  return certs;
}

function readCaPath(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw usageError(`cannot read -CApath ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return names
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false;
      }
    })
    .flatMap((path) => readCaFile(path, '-CApath'));
}

/** The SNI name that will be sent, or undefined for none (IP literals and -noservername). */
export function sniName(settings: TlsSettings): string | undefined {
  if (settings.noServername) return undefined;
  if (settings.servername) return settings.servername;
  return isIP(settings.host) ? undefined : settings.host;
}

/** The name the certificate is checked against. */
export function identityName(settings: TlsSettings): string {
  return settings.verifyHostname ?? settings.servername ?? settings.host;
}

type TlsConnectionOptions = ConnectionOptions & { requestOCSP?: boolean };

/** Options already worked out, so the CA files are read and parsed once per settings. */
const made = new WeakMap<TlsSettings, TlsConnectionOptions>();

export function tlsConnectionOptions(settings: TlsSettings): TlsConnectionOptions {
  let options = made.get(settings);
  if (!options) made.set(settings, (options = makeOptions(settings)));
  return options;
}

/** -CAfile and -CApath as read for each settings: checked before connecting, used after. */
const readCas = new WeakMap<TlsSettings, string[]>();

/** The CA certificates -CAfile and -CApath add to the default store (PEM). */
export function extraCas(settings: TlsSettings): string[] {
  let cas = readCas.get(settings);
  if (!cas) readCas.set(settings, (cas = [...(settings.caFile ? readCaFile(settings.caFile, '-CAfile') : []), ...(settings.caPath ? readCaPath(settings.caPath) : [])]));
  return cas;
}

/** Every certificate the handshake trusts: Node's roots, NODE_EXTRA_CA_CERTS, -CAfile, -CApath. */
export function trustedPems(settings: TlsSettings): string[] {
  const fromEnv = process.env.NODE_EXTRA_CA_CERTS;
  let envCas: string[] = [];
  try {
    envCas = fromEnv ? (readFileSync(fromEnv, 'latin1').match(PEM_CERT) ?? []) : [];
  } catch {
    // Node ignores an unreadable NODE_EXTRA_CA_CERTS (with a warning); so does this.
  }
  return [...tls.rootCertificates, ...envCas, ...extraCas(settings)];
}

function makeOptions(settings: TlsSettings): TlsConnectionOptions {
  const extra = extraCas(settings);
  const options: TlsConnectionOptions = {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    servername: sniName(settings) ?? '',
    requestOCSP: true,
  };
  const context = contextOptions(settings);
  Object.assign(options, context);
  // Made here, not by each tls.connect: its store of trusted roots is then built when
  // prepareTls asks, while the connection is under way (see there).
  options.secureContext = extra.length > 0 ? withExtraCas(context, extra) : checkedContext(context);
  if (settings.alpn?.length) options.ALPNProtocols = settings.alpn;
  if (settings.session) options.session = settings.session;
  return options;
}

/** The SecureContext options the TLS flags ask for (versions, ciphers, groups, client certificate). */
function contextOptions(settings: TlsSettings): tls.SecureContextOptions {
  const context: tls.SecureContextOptions = {};
  const { versions } = settings;
  if (versions) Object.assign(context, { minVersion: versions.min, maxVersion: versions.max });
  // Node takes TLS 1.2 ciphers and TLS 1.3 suites in one list. TLS 1.0/1.1 need OpenSSL's
  // security level 0, or they are never even offered.
  const old = versions?.min === 'TLSv1' || versions?.min === 'TLSv1.1';
  const cipher = settings.cipher ?? (old ? 'DEFAULT' : undefined);
  const ciphers = [settings.ciphersuites, cipher && old && !/@SECLEVEL/i.test(cipher) ? `${cipher}:@SECLEVEL=0` : cipher].filter(Boolean).join(':');
  if (ciphers) context.ciphers = ciphers;
  if (settings.groups) context.ecdhCurve = settings.groups;
  if (settings.sigalgs) context.sigalgs = settings.sigalgs;
  const client = settings.clientCertificate;
  if (client && 'pfx' in client) Object.assign(context, { pfx: client.pfx, passphrase: client.passphrase });
  else if (client) Object.assign(context, { cert: client.cert, key: client.key, passphrase: client.passphrase });
  return context;
}

/**
 * Checks the TLS flags and the -CAfile/-CApath files as tlsConnectionOptions uses them, so a
 * bad one is a usage error before anything touches the network, without building Node's
 * store of trusted roots: OpenSSL parses every root Node bundles for it, ~45 ms. (An empty
 * `ca` list keeps Node from building it; a context made to check is thrown away.)
 */
export function checkTlsSettings(settings: TlsSettings): void {
  extraCas(settings);
  checkedContext({ ...contextOptions(settings), ca: [] });
}

/**
 * Makes the TLS options ahead of the handshake, once the connection is under way: the ~45 ms
 * the trusted roots take then overlap the connect and the server's first replies instead of
 * holding up the handshake. A failure here is left for the handshake to report.
 */
export function prepareTls(settings: TlsSettings): void {
  try {
    tlsConnectionOptions(settings);
  } catch {
    // tlsConnectionOptions throws it again where it can be reported.
  }
}

/** Each TLS flag's own part of the context options, tried alone to find which one OpenSSL refused. */
const FLAG_PARTS: [string, (options: tls.SecureContextOptions) => tls.SecureContextOptions | undefined][] = [
  ['-groups', (o) => (o.ecdhCurve ? { ecdhCurve: o.ecdhCurve } : undefined)],
  ['-sigalgs', (o) => (o.sigalgs ? { sigalgs: o.sigalgs } : undefined)],
  ['-cipher/-ciphersuites', (o) => (o.ciphers ? { ciphers: o.ciphers } : undefined)],
  ['-pkcs12 (not a PKCS#12 file, or not one -pass opens)', (o) => (o.pfx ? { pfx: o.pfx, passphrase: o.passphrase } : undefined)],
  ['-key (not a PEM private key, or not one -pass opens)', (o) => (o.key ? { key: o.key, passphrase: o.passphrase } : undefined)],
  ['-cert (not a PEM certificate)', (o) => (o.cert ? { cert: o.cert } : undefined)],
  ['-cert and -key (the key is not the certificate\'s)', (o) => (o.cert && o.key ? { cert: o.cert, key: o.key, passphrase: o.passphrase } : undefined)],
];

/** OpenSSL's refusal, as one line naming the flag it came from (its own messages often name none). */
function contextError(error: unknown, options: tls.SecureContextOptions): Error {
  const message = (error as Error).message ?? String(error);
  const culprit = FLAG_PARTS.find(([, part]) => {
    const alone = part(options);
    if (!alone) return false;
    try {
      tls.createSecureContext(alone);
      return false;
    } catch {
      return true;
    }
  });
  const detail = /^error:0+:lib\(0\)/.test(message) ? 'not a value OpenSSL knows' : message;
  // A key or PKCS#12 file that a pass phrase was given for and that does not decrypt: the pass phrase is what is wrong.
  const wrongPass = options.passphrase !== undefined && /decrypt|bad password|mac verify/i.test(message);
  return usageError(`OpenSSL refused ${wrongPass ? '-pass (the key does not open with it)' : (culprit?.[0] ?? 'the TLS flags')}: ${detail}`);
}

function checkedContext(options: tls.SecureContextOptions): tls.SecureContext {
  try {
    return tls.createSecureContext(options);
  } catch (error) {
    throw contextError(error, options);
  }
}

/**
 * A context trusting Node's bundled roots plus `cas`, as s_client trusts its default store
 * plus -CAfile. Node's `ca` option replaces the roots, and handing them all back in costs
 * ~20 ms of certificate parsing at every start; adding to the context's copy of the shared
 * root store costs about 1 ms.
 */
function withExtraCas(options: tls.SecureContextOptions, cas: string[]): tls.SecureContext {
  const context = checkedContext(options);
  const native = (context as unknown as { context: { addCACert(pem: string): void } }).context;
  for (const pem of cas) native.addCACert(pem);
  return context;
}
