// A certificate as plain data for the report: what crypto.X509Certificate knows, plus the
// signature algorithm and days left, with nothing formatted yet.
import { X509Certificate } from 'node:crypto';
import { signatureAlgorithm } from './der.js';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  subjectAltName?: string;
  serialNumber: string;
  keyType: string;
  keyBits?: number;
  keyCurve?: string;
  signatureAlgorithm?: string;
  validFrom: Date;
  validTo: Date;
  /** Whole days from now to validTo; negative once expired. */
  daysLeft: number;
  fingerprint256: string;
  isCa: boolean;
  selfIssued: boolean;
  /** Where the issuer's certificate is published (AIA caIssuers), as public CAs do. */
  caIssuers?: string;
  pem: string;
}

const DAY_MS = 86_400_000;

/** "CN=a\nO=b" (Node's form) → "CN=a, O=b". */
export function joinDn(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

export function describeCertificate(raw: Buffer, now = new Date()): CertificateInfo {
  const x509 = new X509Certificate(raw);
  const key = x509.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  const validFrom = new Date(x509.validFrom);
  const validTo = new Date(x509.validTo);
  const curveBits: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };
  return {
    subject: joinDn(x509.subject),
    issuer: joinDn(x509.issuer),
    subjectAltName: x509.subjectAltName,
    serialNumber: x509.serialNumber,
    keyType: (key.asymmetricKeyType ?? 'unknown').toUpperCase(),
    keyBits: details.modulusLength ?? (details.namedCurve ? curveBits[details.namedCurve] : undefined),
    keyCurve: details.namedCurve,
    signatureAlgorithm: signatureAlgorithm(raw),
    validFrom,
    validTo,
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / DAY_MS),
    fingerprint256: x509.fingerprint256,
    isCa: x509.ca,
    selfIssued: x509.subject === x509.issuer,
    caIssuers: /CA Issuers - URI:(\S+)/.exec(x509.infoAccess ?? '')?.[1],
    pem: x509.toString(),
  };
}
