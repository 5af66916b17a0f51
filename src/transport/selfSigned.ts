// A self-signed X.509 v3 server certificate made with node:crypto alone (no openssl CLI):
// for `mailprobe sink --tls-self-signed`, the demo, and tests.
//
// Key: RSA-2048 by default (the widest client support; keyUsage digitalSignature +
// keyEncipherment) or P-256 ECDSA (fast to make; keyUsage digitalSignature only, since
// RFC 5480 §3 forbids keyEncipherment for EC keys). Signed with SHA-256.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import {
  bitString,
  boolean,
  certificateTime,
  explicit,
  implicitPrimitive,
  integer,
  namedBits,
  nullValue,
  octetString,
  oid,
  sequence,
  set,
  utf8String,
} from './derWriter.js';

export type SelfSignedKeyType = 'rsa' | 'ec';

const OID = {
  commonName: '2.5.4.3',
  rsaWithSha256: '1.2.840.113549.1.1.11',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

const KEY_USAGE_BIT = { digitalSignature: 0, keyEncipherment: 2 } as const;

/** The 4 or 16 bytes of an IP address (IPv6 may use :: and a trailing dotted IPv4). */
export function ipAddressBytes(address: string): Buffer {
  const family = isIP(address);
  if (family === 4) return Buffer.from(address.split('.').map(Number));
  if (family !== 6) throw new RangeError(`not an IP address: ${address}`);
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups written another way.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const groups = (part: string) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const [head, rest] = text.split('::');
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = Buffer.alloc(16);
  words.forEach((word, i) => bytes.writeUInt16BE(word, i * 2));
  return bytes;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function subjectAltName(names: string[]): Buffer {
  return sequence(
    ...names.map((name) => {
      if (isIP(name)) return implicitPrimitive(7, ipAddressBytes(name)); // iPAddress
      const ascii = domainToASCII(name) || name;
      if (!/^[\x21-\x7e]+$/.test(ascii)) throw new RangeError(`not a DNS name: ${name}`);
      return implicitPrimitive(2, Buffer.from(ascii, 'latin1')); // dNSName, an IA5String
    }),
  );
}

function keyPair(keyType: SelfSignedKeyType): { publicKey: KeyObject; privateKey: KeyObject } {
  return keyType === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

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
  const { publicKey, privateKey } = keyPair(keyType);
  const signatureAlgorithm = keyType === 'ec' ? sequence(oid(OID.ecdsaWithSha256)) : sequence(oid(OID.rsaWithSha256), nullValue());
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40; // positive, and 16 bytes long
  const name = sequence(set(sequence(oid(OID.commonName), utf8String(names[0]))));
  const now = Date.now();
  const validity = sequence(certificateTime(new Date(now - 3600_000)), certificateTime(new Date(now + days * 86400_000)));
  const usage = keyType === 'ec' ? [KEY_USAGE_BIT.digitalSignature] : [KEY_USAGE_BIT.digitalSignature, KEY_USAGE_BIT.keyEncipherment];
  const extensions = sequence(
    extension(OID.subjectAltName, false, subjectAltName(names)),
    extension(OID.basicConstraints, true, sequence()), // cA defaults to FALSE
    extension(OID.keyUsage, true, namedBits(usage)),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
  );
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serial),
    signatureAlgorithm,
    name, // issuer
    validity,
    name, // subject
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  const base64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return {
    certPem: `-----BEGIN CERTIFICATE-----\n${base64}-----END CERTIFICATE-----\n`,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
