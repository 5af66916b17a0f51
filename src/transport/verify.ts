// The verdict on a server's certificate: verified, or every reason it is not, in words.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { Anchor } from './anchor.js';
import type { CertificateInfo } from './certificate.js';

/** `by`: what authenticated the server when it was not the PKIX chain (DANE). */
export type Verdict = { verified: true; name: string; by?: string } | { verified: false; name: string; reasons: string[] };

const day = (date: Date) => date.toISOString().slice(0, 10);

/** OpenSSL's codes for a chain that does not end in a trusted certificate. */
const TRUST_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

/** Why the chain is not trusted, from where it ends. */
function anchorReason(anchor: Anchor, chainLength: number): string | undefined {
  if (anchor.kind === 'trusted') return undefined;
  if (anchor.kind === 'untrusted-root') {
    return chainLength === 1
      ? 'self-signed certificate: no trusted CA issued it (trust it with -CAfile if that is intended)'
      : `the chain ends in the self-signed root "${anchor.root}", which is not trusted here (a private CA: give it with -CAfile)`;
  }
  return `unknown issuer: "${anchor.issuer}" (which issued "${anchor.top}") is not trusted here: if it is your private CA, give it with -CAfile; if it is an intermediate, the server did not send it`;
}

function chainReason(code: string, leaf: CertificateInfo | undefined): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'self-signed certificate: no trusted CA issued it (trust it with -CAfile if that is intended)';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the chain ends in a self-signed root that is not trusted (give that root with -CAfile)';
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return `unknown issuer: "${leaf?.issuer ?? '?'}" is not a trusted CA, or the server did not send an intermediate certificate (give the CA with -CAfile)`;
    case 'CERT_HAS_EXPIRED':
      return leaf && leaf.daysLeft < 0
        ? `expired on ${day(leaf.validTo)} (${-leaf.daysLeft} days ago)`
        : 'a certificate in the chain has expired';
    case 'CERT_NOT_YET_VALID':
      return leaf ? `not yet valid: valid from ${day(leaf.validFrom)}` : 'a certificate in the chain is not yet valid';
    case 'CERT_REVOKED':
      return 'the certificate is revoked';
    case 'CERT_SIGNATURE_FAILURE':
      return 'a signature in the chain does not verify';
    case 'CA_MD_TOO_WEAK':
      return 'a signature in the chain uses a digest too weak to trust (SHA-1 or MD5)';
    case 'EE_KEY_TOO_SMALL':
    case 'CA_KEY_TOO_SMALL':
      return 'a key in the chain is too small to trust';
    default:
      return `chain verification failed: ${code}`;
  }
}

/**
 * Every reason the certificate is not to be trusted: OpenSSL stops at its first error, so
 * where the chain ends (`anchor`, worked out when it did not verify) adds the trust reason
 * an expired or weak certificate from an unknown CA would otherwise hide.
 */
export function judgeCertificate(
  authorizationError: string | undefined,
  peer: PeerCertificate | undefined,
  chain: CertificateInfo[],
  name: string,
  anchor?: Anchor,
): Verdict {
  const leaf = chain[0];
  if (!peer || !leaf) return { verified: false, name, reasons: ['the server sent no certificate'] };
  const reasons: string[] = [];
  const trust = anchor && anchorReason(anchor, chain.length);
  if (authorizationError) reasons.push(TRUST_CODES.has(authorizationError) && trust ? trust : chainReason(authorizationError, leaf));
  if (authorizationError && !TRUST_CODES.has(authorizationError) && trust) reasons.push(trust);
  if (leaf.daysLeft < 0 && authorizationError !== 'CERT_HAS_EXPIRED') {
    reasons.push(`expired on ${day(leaf.validTo)} (${-leaf.daysLeft} days ago)`);
  }
  const identity = checkServerIdentity(name, peer);
  if (identity) {
    const holds = leaf.subjectAltName ?? `only ${leaf.subject}`;
    reasons.push(`hostname mismatch: the certificate is not for "${name}"; it holds ${holds}`);
  }
  return reasons.length === 0 ? { verified: true, name } : { verified: false, name, reasons };
}
