// Turning the user's TLS flags into node:tls options. Verification is judged by mailprobe
// (so an unverified certificate can be reported and the session go on, as with s_client),
// hence rejectUnauthorized is off and the hostname is checked in verify.ts.
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

export function tlsConnectionOptions(settings: TlsSettings): ConnectionOptions & { requestOCSP?: boolean } {
  const extra = [
    ...(settings.caFile ? readCaFile(settings.caFile, '-CAfile') : []),
    ...(settings.caPath ? readCaPath(settings.caPath) : []),
  ];
  const options: ConnectionOptions & { requestOCSP?: boolean } = {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
    servername: sniName(settings) ?? '',
    requestOCSP: true,
  };
  if (extra.length > 0) options.ca = [...tls.rootCertificates, ...extra];
  if (settings.tls12Only) Object.assign(options, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  if (settings.tls13Only) Object.assign(options, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  if (settings.onlyVersion) Object.assign(options, { minVersion: settings.onlyVersion, maxVersion: settings.onlyVersion });
  // Node takes TLS 1.2 ciphers and TLS 1.3 suites in one list. Probing old versions needs
  // OpenSSL's security level 0, or TLS 1.0/1.1 are never even offered.
  const lowSecurity = settings.onlyVersion === 'TLSv1' || settings.onlyVersion === 'TLSv1.1' ? 'DEFAULT:@SECLEVEL=0' : undefined;
  const ciphers = [settings.ciphersuites, settings.cipher ?? lowSecurity].filter(Boolean).join(':');
  if (ciphers) options.ciphers = ciphers;
  if (settings.alpn?.length) options.ALPNProtocols = settings.alpn;
  return options;
}
