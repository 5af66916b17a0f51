// The OCSP response a server staples (RFC 6960), read and verified: the status of the
// server's certificate, the response's times, who signed it, and whether that signature
// and signer hold (the issuer itself, or a responder the issuer delegated to with the
// OCSPSigning key purpose, §4.2.2.2). The ASN.1 comes from @peculiar/asn1-ocsp, loaded only
// when a response is to be read, so a session that never asks does not pay for it.
import { createHash, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { asn1, asn1Ocsp, type SchemaModule, type X509Module } from './asn1.js';
import { nameText } from './names.js';

export type CertStatus = { kind: 'good' } | { kind: 'revoked'; at: Date; reason?: string } | { kind: 'unknown' };

export interface OcspFacts {
  /** "successful", or the responder's error (malformedRequest, tryLater, …). */
  responseStatus: string;
  producedAt?: Date;
  /** The responder, by name or by key hash. */
  responder?: string;
  /** The entry for the server's certificate; undefined when the response holds none for it. */
  status?: CertStatus;
  thisUpdate?: Date;
  nextUpdate?: Date;
  /** Who signed it, and whether that holds; `problem` says what does not. */
  signature: { verified: boolean; signer?: string; problem?: string };
  /** Why the response cannot be relied on at `now`: past nextUpdate, or thisUpdate in the future. */
  stale?: string;
}

const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
/** Clock skew allowed on thisUpdate (a responder a little ahead of this machine). */
const SKEW_MS = 5 * 60_000;

const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OID → the digest node:crypto verifies with (null for EdDSA). */
const SIGNATURES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

const REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', '', 'removeFromCRL', 'privilegeWithdrawn', 'aACompromise'];

const STATUSES = ['successful', 'malformedRequest', 'internalError', 'tryLater', '', 'sigRequired', 'unauthorized'];

const hex = (bytes: ArrayBuffer | Uint8Array) => Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');

/** A certificate's serial as X509Certificate writes it: upper-case hex without leading zero bytes. */
const serialHex = (bytes: ArrayBuffer) => hex(bytes).replace(/^(00)+(?=.)/, '').toUpperCase();

export async function readOcspResponse(der: Buffer, leaf: X509Certificate, issuer: X509Certificate | undefined, now = new Date()): Promise<OcspFacts> {
  const { schema, x509 } = asn1();
  const { AsnConvert } = schema;
  const ocsp = asn1Ocsp();

  const response = AsnConvert.parse(der, ocsp.OCSPResponse);
  const responseStatus = STATUSES[response.responseStatus] || `status ${response.responseStatus}`;
  if (response.responseStatus !== 0 || !response.responseBytes) return { responseStatus, signature: { verified: false, problem: 'an unsuccessful response carries no signature' } };
  if (response.responseBytes.responseType !== ocsp.id_pkix_ocsp_basic) return { responseStatus, signature: { verified: false, problem: `a response of type ${response.responseBytes.responseType}, not the basic type` } };
  const basic = AsnConvert.parse(response.responseBytes.response, ocsp.BasicOCSPResponse);
  const data = basic.tbsResponseData;
  const { byName, byKey } = data.responderID;
  const responder = byName ? nameText(byName) : byKey ? `key SHA-1 ${hex(byKey.buffer)}` : undefined;

  // The entry for this certificate: its serial, and the issuer's name and key hashed as the entry says.
  const issuerHashes = issuer && issuerHashesOf(issuer, AsnConvert, x509);
  const single = data.responses.find((entry) => {
    if (serialHex(entry.certID.serialNumber) !== leaf.serialNumber.replace(/^(00)+(?=.)/, '').toUpperCase()) return false;
    const algorithm = HASHES[entry.certID.hashAlgorithm.algorithm];
    if (!issuerHashes || !algorithm) return true;
    const { name, key } = issuerHashes(algorithm);
    return hex(entry.certID.issuerNameHash.buffer) === name && hex(entry.certID.issuerKeyHash.buffer) === key;
  });
  const status: CertStatus | undefined = !single ? undefined : single.certStatus.revoked ? { kind: 'revoked', at: single.certStatus.revoked.revocationTime, reason: revocationReason(single.certStatus.revoked.revocationReason?.reason) } : single.certStatus.unknown !== undefined ? { kind: 'unknown' } : { kind: 'good' };

  const signed = Buffer.from(basic.tbsResponseDataRaw ?? AsnConvert.serialize(data));
  const signature = checkSignature(signed, Buffer.from(basic.signature), basic.signatureAlgorithm.algorithm, issuer, (basic.certs ?? []).map((cert) => new X509Certificate(Buffer.from(AsnConvert.serialize(cert)))));
  let stale: string | undefined;
  if (single?.nextUpdate && single.nextUpdate.getTime() < now.getTime()) stale = `its nextUpdate (${single.nextUpdate.toISOString()}) has passed`;
  else if (single && single.thisUpdate.getTime() > now.getTime() + SKEW_MS) stale = `its thisUpdate (${single.thisUpdate.toISOString()}) is in the future`;
  return { responseStatus, producedAt: data.producedAt, responder, status, thisUpdate: single?.thisUpdate, nextUpdate: single?.nextUpdate, signature, stale };
}

function revocationReason(reason: number | undefined): string | undefined {
  return reason === undefined ? undefined : REASONS[reason] || `reason ${reason}`;
}


/** The issuer's subject and public key, hashed for a CertID (RFC 6960 §4.1.1). */
function issuerHashesOf(issuer: X509Certificate, AsnConvert: SchemaModule['AsnConvert'], x509: X509Module): (algorithm: string) => { name: string; key: string } {
  const cert = AsnConvert.parse(issuer.raw, x509.Certificate);
  const subject = Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subject));
  const key = Buffer.from(cert.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
  return (algorithm) => ({ name: createHash(algorithm).update(subject).digest('hex'), key: createHash(algorithm).update(key).digest('hex') });
}

function verifies(data: Buffer, signature: Buffer, algorithm: string, key: KeyObject): boolean {
  const digest = SIGNATURES[algorithm];
  if (digest === undefined) return false;
  try {
    return verify(digest, data, key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'der' } : key, signature);
  } catch {
    return false;
  }
}

/** Signed by the issuer, or by a certificate in the response that the issuer issued for OCSP signing. */
function checkSignature(data: Buffer, signature: Buffer, algorithm: string, issuer: X509Certificate | undefined, included: X509Certificate[]): OcspFacts['signature'] {
  if (SIGNATURES[algorithm] === undefined) return { verified: false, problem: `the signature algorithm ${algorithm} is not one mailprobe checks` };
  if (!issuer) return { verified: false, problem: "the issuer's certificate is not at hand, so the signature cannot be checked" };
  if (verifies(data, signature, algorithm, issuer.publicKey)) return { verified: true, signer: 'the issuer' };
  for (const cert of included) {
    if (!verifies(data, signature, algorithm, cert.publicKey)) continue;
    const signer = cert.subject.split('\n').join(', ');
    if (!cert.verify(issuer.publicKey)) return { verified: false, signer, problem: `signed by ${signer}, which the issuer did not issue` };
    if (!(cert.keyUsage ?? []).includes(OCSP_SIGNING)) return { verified: false, signer, problem: `signed by ${signer}, which the issuer did not authorise to sign OCSP responses (no OCSPSigning key purpose)` };
    return { verified: true, signer: `${signer}, delegated by the issuer` };
  }
  return { verified: false, problem: 'the signature verifies with neither the issuer\'s key nor a responder certificate in the response' };
}
