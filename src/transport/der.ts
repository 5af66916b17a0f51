// Just enough DER to read a certificate's signature algorithm, which Node 20's
// X509Certificate does not expose: Certificate ::= SEQUENCE { tbs, AlgorithmIdentifier, sig },
// and its issuer's name as DER (to find the issuer among trusted certificates without
// parsing them all). The ASN.1 library costs ~85 ms to load; these run in every TLS report.

interface Tlv {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function readTlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  let length = der[offset + 1];
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i];
    start += count;
  }
  if (tag === undefined || start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

function decodeOid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if (!(bytes[i] & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

/** The signature algorithm's name (or its OID when unknown); undefined for unreadable DER. */
export function signatureAlgorithm(der: Buffer): string | undefined {
  try {
    const certificate = readTlv(der, 0);
    const tbs = readTlv(der, certificate.start);
    const algorithm = readTlv(der, tbs.end);
    const oid = readTlv(der, algorithm.start);
    if (oid.tag !== 0x06) return undefined;
    const dotted = decodeOid(der.subarray(oid.start, oid.end));
    return SIGNATURE_ALGORITHMS[dotted] ?? dotted;
  } catch {
    return undefined;
  }
}

/** The issuer Name's DER (TBSCertificate: [0] version, serial, signature, issuer); undefined for unreadable DER. */
export function issuerNameDer(der: Buffer): Buffer | undefined {
  try {
    const certificate = readTlv(der, 0);
    const tbs = readTlv(der, certificate.start);
    let field = readTlv(der, tbs.start);
    if (field.tag === 0xa0) field = readTlv(der, field.end); // the explicit version
    const signature = readTlv(der, field.end);
    const issuerStart = signature.end;
    const issuer = readTlv(der, issuerStart);
    return issuer.tag === 0x30 ? der.subarray(issuerStart, issuer.end) : undefined;
  } catch {
    return undefined;
  }
}

export const isWeakSignature = (name: string | undefined) => !!name && /sha1|md5/i.test(name);
