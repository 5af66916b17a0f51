// A distinguished name (DER, as a CertificateRequest or an OCSP responder ID carries it)
// as text: "CN=mailprobe Test CA, O=Example".
import { asn1, type X509Module } from './asn1.js';

const ATTRIBUTES: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'emailAddress' };

export function nameText(name: InstanceType<X509Module['Name']>): string {
  return name.map((rdn) => rdn.map((atv) => `${ATTRIBUTES[atv.type] ?? atv.type}=${String(atv.value)}`).join('+')).join(', ');
}

/** The DER name as text, or a note that it is not one. */
export function distinguishedName(der: Buffer): string {
  try {
    const { schema, x509 } = asn1();
    return nameText(schema.AsnConvert.parse(der, x509.Name));
  } catch {
    return `(not a distinguished name: ${der.length} bytes)`;
  }
}
