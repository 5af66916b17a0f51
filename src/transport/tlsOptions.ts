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
  tls12Only?: boolean;
  tls13Only?: boolean;
  cipher?: string;
  ciphersuites?: string;
  alpn?: string[];
  /** TLSA records to authenticate the server by (-dane_tlsa_rrdata), and their base domain. */
  dane?: { records: TlsaRecord[]; domain?: string };
  /** The domain an SRV lookup started from (--srv): whether the certificate is good for it too. */
  sourceDomain?: string;
  /** The MTA-STS policy the server's domain publishes (--mx): judged against this handshake. */
  mtaSts?: { mode: 'enforce' | 'testing' | 'none'; mxMatch: boolean; mx: string };
  /** Exactly this protocol version (for probing which versions a server accepts). */
  onlyVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

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
  return settings.servername ?? settings.host;
}

type TlsConnectionOptions = ConnectionOptions & { requestOCSP?: boolean };

/** Options already worked out, so the CA files are read and parsed once per settings. */
const made = new WeakMap<TlsSettings, TlsConnectionOptions>();

export function tlsConnectionOptions(settings: TlsSettings): TlsConnectionOptions {
  let options = made.get(settings);
  if (!options) made.set(settings, (options = makeOptions(settings)));
  return options;
}

/** The CA certificates -CAfile and -CApath add to the default store (PEM). */
export function extraCas(settings: TlsSettings): string[] {
  return [...(settings.caFile ? readCaFile(settings.caFile, '-CAfile') : []), ...(settings.caPath ? readCaPath(settings.caPath) : [])];
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
  const context: tls.SecureContextOptions = {};
  if (settings.tls12Only) Object.assign(context, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  if (settings.tls13Only) Object.assign(context, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  if (settings.onlyVersion) Object.assign(context, { minVersion: settings.onlyVersion, maxVersion: settings.onlyVersion });
  // Node takes TLS 1.2 ciphers and TLS 1.3 suites in one list. Probing old versions needs
  // OpenSSL's security level 0, or TLS 1.0/1.1 are never even offered.
  const lowSecurity = settings.onlyVersion === 'TLSv1' || settings.onlyVersion === 'TLSv1.1' ? 'DEFAULT:@SECLEVEL=0' : undefined;
  const ciphers = [settings.ciphersuites, settings.cipher ?? lowSecurity].filter(Boolean).join(':');
  if (ciphers) context.ciphers = ciphers;
  Object.assign(options, context);
  if (extra.length > 0) options.secureContext = withExtraCas(context, extra);
  if (settings.alpn?.length) options.ALPNProtocols = settings.alpn;
  return options;
}

/**
 * A context trusting Node's bundled roots plus `cas`, as s_client trusts its default store
 * plus -CAfile. Node's `ca` option replaces the roots, and handing them all back in costs
 * ~20 ms of certificate parsing at every start; adding to the context's copy of the shared
 * root store costs about 1 ms.
 */
function withExtraCas(options: tls.SecureContextOptions, cas: string[]): tls.SecureContext {
  const context = tls.createSecureContext(options);
  const native = (context as unknown as { context: { addCACert(pem: string): void } }).context;
  for (const pem of cas) native.addCACert(pem);
  return context;
}
