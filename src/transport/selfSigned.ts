// A self-signed X.509 v3 server certificate made in process (no openssl CLI): for `mailprobe
// sink --tls-self-signed`, the demo, and tests. The structures come from @peculiar/asn1-x509
// (required on first use, like every ASN.1 schema here), the key and signature from
// node:crypto.
//
// Key: RSA-2048 by default (the widest client support; keyUsage digitalSignature +
// keyEncipherment) or P-256 ECDSA (fast to make; keyUsage digitalSignature only, since
// RFC 5480 §3 forbids keyEncipherment for EC keys). Signed with SHA-256.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { asn1 } from './asn1.js';

export type SelfSignedKeyType = 'rsa' | 'ec';

const OID = {
  commonName: '2.5.4.3',
  rsaWithSha256: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

function keyPair(keyType: SelfSignedKeyType): { publicKey: KeyObject; privateKey: KeyObject } {
  return keyType === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** A DNS name in its ASCII form, or a RangeError for anything that cannot be one. */
function dnsName(name: string): string {
  const ascii = domainToASCII(name) || name;
  if (!/^[\x21-\x7e]+$/.test(ascii)) throw new RangeError(`not a DNS name: ${name}`);
  return ascii;
}

/** An IPv6 address with a dotted IPv4 tail (::ffff:192.0.2.1) in hex groups only, which the schema's converter reads right. */
const hexGroups = (address: string): string =>
  address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`);

const arrayBuffer = (bytes: Buffer): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;

/**
 * A fresh key and a self-signed certificate: subject = issuer = CN names[0], every name in
 * the subjectAltName (DNS names and IPv4/IPv6 addresses), valid from an hour ago for `days`.
 */
export function selfSignedCertificate(
  names: string[] = ['localhost', '127.0.0.1', '::1'],
  days = 30,
  keyType: SelfSignedKeyType = 'rsa',
): { certPem: string; keyPem: string } {
  if (names.length === 0) throw new RangeError('a certificate needs at least one name');
  const { schema, x509 } = asn1();
  const { AsnConvert, OctetString } = schema;
  const { publicKey, privateKey } = keyPair(keyType);
  const signatureAlgorithm = new x509.AlgorithmIdentifier(keyType === 'ec' ? { algorithm: OID.ecdsaWithSha256 } : { algorithm: OID.rsaWithSha256, parameters: null });
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive, and 16 bytes long
  const name = new x509.Name([new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type: OID.commonName, value: new x509.AttributeValue({ utf8String: names[0] }) })])]);
  const now = Date.now();
  const extension = (extnID: string, critical: boolean, value: object) => new x509.Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const altNames = names.map((each) => new x509.GeneralName(isIP(each) === 6 ? { iPAddress: hexGroups(each) } : isIP(each) ? { iPAddress: each } : { dNSName: dnsName(each) }));
  const usage = keyType === 'ec' ? x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  const tbsCertificate = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: arrayBuffer(serial),
    signature: signatureAlgorithm,
    issuer: name,
    validity: new x509.Validity({ notBefore: new Date(now - 3600_000), notAfter: new Date(now + days * 86400_000) }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), x509.SubjectPublicKeyInfo),
    extensions: new x509.Extensions([
      extension(x509.id_ce_subjectAltName, false, new x509.SubjectAlternativeName(altNames)),
      extension(x509.id_ce_basicConstraints, true, new x509.BasicConstraints()), // cA defaults to FALSE
      extension(x509.id_ce_keyUsage, true, new x509.KeyUsage(usage)),
      extension(x509.id_ce_extKeyUsage, false, new x509.ExtendedKeyUsage([OID.serverAuth])),
    ]),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbsCertificate)), privateKey);
  const der = Buffer.from(AsnConvert.serialize(new x509.Certificate({ tbsCertificate, signatureAlgorithm, signatureValue: arrayBuffer(signature) })));
  const base64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
