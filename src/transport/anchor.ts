// Where the certificate chain a server sent ends, independently of OpenSSL's verdict, which
// names only the first error it meets: an expired leaf from an unknown CA is both, and the
// report should say both. Needed only when the chain did not verify.
import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from './certificate.js';
import { trustedPems, type TlsSettings } from './tlsOptions.js';

/**
 * trusted: the chain ends in, or is issued by, a certificate the handshake trusts.
 * untrusted-root: it ends in a self-signed root nobody here trusts (a private CA).
 * unknown-issuer: it ends in a certificate whose issuer is neither sent nor trusted: a
 *   private CA's root, or an intermediate the server did not send — the chain cannot tell.
 */
export type Anchor = { kind: 'trusted' } | { kind: 'untrusted-root'; root: string } | { kind: 'unknown-issuer'; top: string; issuer: string };

let trusted: { key: string; certs: X509Certificate[] } | undefined;

function trustedCerts(settings: TlsSettings): X509Certificate[] {
  const key = `${settings.caFile ?? ''}\n${settings.caPath ?? ''}`;
  if (trusted?.key !== key) {
    const certs: X509Certificate[] = [];
    for (const pem of trustedPems(settings)) {
      try {
        certs.push(new X509Certificate(pem));
      } catch {
        // A broken certificate in a bundle trusts nothing.
      }
    }
    trusted = { key, certs };
  }
  return trusted.certs;
}

export function chainAnchor(chain: CertificateInfo[], settings: TlsSettings): Anchor | undefined {
  const top = chain.at(-1);
  if (!top) return undefined;
  const cert = new X509Certificate(top.pem);
  const roots = trustedCerts(settings);
  if (top.selfIssued) {
    return roots.some((root) => root.fingerprint256 === cert.fingerprint256) ? { kind: 'trusted' } : { kind: 'untrusted-root', root: top.subject };
  }
  const issued = roots.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey));
  return issued ? { kind: 'trusted' } : { kind: 'unknown-issuer', top: top.subject, issuer: top.issuer };
}
