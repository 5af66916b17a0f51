// The ASN.1 schemas (@peculiar/asn1-*), required on first use: the bundle leaves them out
// (scripts/build.mjs), since loading them costs ~85-95 ms that a session without -status,
// a staple to read or a certificate to make never pays.
import { createRequire } from 'node:module';

export type SchemaModule = typeof import('@peculiar/asn1-schema');
export type X509Module = typeof import('@peculiar/asn1-x509');
export type OcspModule = typeof import('@peculiar/asn1-ocsp');

const load = (id: string): unknown => createRequire(import.meta.url)(id);

/** The schema core (AsnConvert, OctetString …) and the X.509 structures. */
export const asn1 = (): { schema: SchemaModule; x509: X509Module } => ({ schema: load('@peculiar/asn1-schema') as SchemaModule, x509: load('@peculiar/asn1-x509') as X509Module });

/** The OCSP structures (RFC 6960). */
export const asn1Ocsp = (): OcspModule => load('@peculiar/asn1-ocsp') as OcspModule;
