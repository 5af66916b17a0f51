// The ASN.1 schemas (@peculiar/asn1-*), required on first use: the bundle leaves them out
// (scripts/build.mjs), since loading them costs ~85-95 ms that a session without -status,
// a staple to read or a certificate to make never pays.
import { requireOnUse } from '../requireOnUse.js';

export type SchemaModule = typeof import('@peculiar/asn1-schema');
export type X509Module = typeof import('@peculiar/asn1-x509');
export type OcspModule = typeof import('@peculiar/asn1-ocsp');

/** The schema core (AsnConvert, OctetString …) and the X.509 structures. */
export const asn1 = (): { schema: SchemaModule; x509: X509Module } => ({ schema: requireOnUse<SchemaModule>('@peculiar/asn1-schema'), x509: requireOnUse<X509Module>('@peculiar/asn1-x509') });

/** The OCSP structures (RFC 6960). */
export const asn1Ocsp = (): OcspModule => requireOnUse<OcspModule>('@peculiar/asn1-ocsp');
