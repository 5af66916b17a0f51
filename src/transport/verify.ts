// The verdict on a server's certificate: verified, or every reason it is not, in words.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { TRUST_CODES, type Anchor } from './anchor.js';
import type { CertificateInfo } from './certificate.js';

/** `by`: what authenticated the server when it was not the PKIX chain (DANE). */
export type Verdict = { verified: true; name: string; by?: string } | { verified: false; name: string; reasons: string[] };

const day = (date: Date) => date.toISOString().slice(0, 10);

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
/** -attime and -verify_depth: the moment validity is judged at, and the most intermediate CA certificates allowed. */
export interface JudgeLimits {
  atTime?: Date;
  depth?: number;
}

/** OpenSSL judged dates at the current time: with -attime its date errors are not the verdict. */
const TIME_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** Every certificate not valid at `at` (Node's TLS cannot verify at another time, so mailprobe judges the dates). */
function datesAt(chain: CertificateInfo[], at: Date): string[] {
  const when = at.toISOString().replace('.000Z', 'Z');
  return chain.flatMap((cert, i) => {
    const which = i === 0 ? 'the certificate' : `"${cert.subject}" (chain ${i})`;
    if (at < cert.validFrom) return [`${which} is not yet valid at -attime ${when}: valid from ${day(cert.validFrom)}`];
    if (at > cert.validTo) return [`${which} had expired at -attime ${when}: valid until ${day(cert.validTo)}`];
    return [];
  });
}

/** Intermediate CA certificates: neither the leaf nor a self-signed root at the end. */
function intermediates(chain: CertificateInfo[]): number {
  const root = chain.length > 1 && chain[chain.length - 1].selfIssued ? 1 : 0;
  return Math.max(0, chain.length - 1 - root);
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
  limits: JudgeLimits = {},
): Verdict {
  const leaf = chain[0];
  if (!peer || !leaf) return { verified: false, name, reasons: ['the server sent no certificate'] };
  const reasons: string[] = [];
  const trust = anchor && anchorReason(anchor, chain.length);
  const error = limits.atTime && authorizationError && TIME_CODES.has(authorizationError) ? undefined : authorizationError;
  if (error) reasons.push(TRUST_CODES.has(error) && trust ? trust : chainReason(error, leaf));
  if (authorizationError && !TRUST_CODES.has(authorizationError) && trust) reasons.push(trust);
  if (limits.atTime) reasons.push(...datesAt(chain, limits.atTime));
  else if (leaf.daysLeft < 0 && authorizationError !== 'CERT_HAS_EXPIRED') {
    reasons.push(`expired on ${day(leaf.validTo)} (${-leaf.daysLeft} days ago)`);
  }
  if (limits.depth !== undefined && intermediates(chain) > limits.depth) {
    reasons.push(`the chain holds ${intermediates(chain)} intermediate CA certificate${intermediates(chain) === 1 ? '' : 's'}; -verify_depth ${limits.depth} allows ${limits.depth}`);
  }
  const identity = checkServerIdentity(name, peer);
  if (identity) {
    const holds = leaf.subjectAltName ?? `only ${leaf.subject}`;
    reasons.push(`hostname mismatch: the certificate is not for "${name}"; it holds ${holds}`);
  }
  return reasons.length === 0 ? { verified: true, name } : { verified: false, name, reasons };
}
