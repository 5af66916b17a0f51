// Where the certificate chain a server sent ends, independently of OpenSSL's verdict, which
// names only the first error it meets: an expired leaf from an unknown CA is both, and the
// report should say both. Needed only when the chain did not verify.
import { X509Certificate } from 'node:crypto';
import { issuerNameDer } from './der.js';
import type { CertificateInfo } from './certificate.js';
import { trustedPems, type TlsSettings } from './tlsOptions.js';

/**
 * trusted: the chain ends in, or is issued by, a certificate the handshake trusts.
 * untrusted-root: it ends in a self-signed root nobody here trusts (a private CA).
 * unknown-issuer: it ends in a certificate whose issuer is neither sent nor trusted: a
 *   private CA's root, or an intermediate the server did not send — the chain cannot tell.
 */
export type Anchor = { kind: 'trusted' } | { kind: 'untrusted-root'; root: string } | { kind: 'unknown-issuer'; top: string; issuer: string };

/** A trusted certificate as DER: parsed (~0.6 ms each) only when it may be the issuer. */
interface TrustedDer {
  der: Buffer;
}

let trusted: { key: string; certs: TrustedDer[] } | undefined;

function trustedDers(settings: TlsSettings): TrustedDer[] {
  const key = `${settings.caFile ?? ''}\n${settings.caPath ?? ''}`;
  if (trusted?.key !== key) {
    // base64 decoding skips the armour lines and whitespace.
    const certs = trustedPems(settings).map((pem) => ({ der: Buffer.from(pem.slice(pem.indexOf('\n') + 1, pem.lastIndexOf('-----END')), 'base64') }));
    trusted = { key, certs };
  }
  return trusted.certs;
}

/** The trusted certificates that may have issued `cert`: those whose DER holds its issuer's name. */
function issuerCandidates(cert: X509Certificate, roots: TrustedDer[]): X509Certificate[] {
  const issuer = issuerNameDer(cert.raw);
  const candidates: X509Certificate[] = [];
  for (const root of roots) {
    if (issuer && !root.der.includes(issuer)) continue;
    try {
      candidates.push(new X509Certificate(root.der));
    } catch {
      // A broken certificate in a bundle trusts nothing.
    }
  }
  return candidates;
}

/** OpenSSL's codes for a chain that does not end in a trusted certificate. */
export const TRUST_CODES: ReadonlySet<string> = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

/** Where a chain ends that OpenSSL could not anchor: a root nobody trusts, or an issuer not at hand. */
function untrustedEnd(top: CertificateInfo): Anchor {
  return top.selfIssued ? { kind: 'untrusted-root', root: top.subject } : { kind: 'unknown-issuer', top: top.subject, issuer: top.issuer };
}

/**
 * Where the chain ends. When OpenSSL's error is itself that the chain reaches no trusted
 * certificate, that settles it; otherwise the trust store is searched for the top's issuer
 * (reading and decoding every trusted certificate: ~8 ms, so only when needed).
 */
export function chainAnchor(chain: CertificateInfo[], settings: TlsSettings, authorizationError?: string): Anchor | undefined {
  const top = chain.at(-1);
  if (!top) return undefined;
  if (authorizationError && TRUST_CODES.has(authorizationError)) return untrustedEnd(top);
  const cert = new X509Certificate(top.pem);
  const roots = trustedDers(settings);
  const candidates = issuerCandidates(cert, roots);
  const trusted = top.selfIssued ? candidates.some((root) => root.raw.equals(cert.raw)) : candidates.some((root) => cert.checkIssued(root) && cert.verify(root.publicKey));
  return trusted ? { kind: 'trusted' } : untrustedEnd(top);
}
