// DANE for TLS (RFC 6698, RFC 7671) with SMTP's rules (RFC 7672): which TLSA record, if
// any, the certificate chain a server sent matches. DANE-EE(3) pins the leaf and ignores its
// names and dates; DANE-TA(2) pins a trust anchor in the chain, which must then issue the
// leaf, and the leaf's name and dates count. PKIX-TA(0) and PKIX-EE(1) are not usable for
// SMTP (RFC 7672 §3.1.3), and a record whose digest has the wrong length matches nothing.
import { createHash, X509Certificate } from 'node:crypto';

export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  data: Buffer;
}

export type DaneResult =
  | { status: 'valid'; record: TlsaRecord; depth: number; unusable: Unusable[] }
  | { status: 'invalid'; reasons: string[]; unusable: Unusable[] }
  /** No record could be used at all: DANE authenticates nothing. */
  | { status: 'unusable'; unusable: Unusable[] };

export interface Unusable {
  record: TlsaRecord;
  why: string;
}

const USAGES: Record<number, string> = { 0: 'PKIX-TA', 1: 'PKIX-EE', 2: 'DANE-TA', 3: 'DANE-EE' };
const SELECTORS: Record<number, string> = { 0: 'Cert', 1: 'SPKI' };
const MATCHING: Record<number, { name: string; length?: number; hash?: string }> = {
  0: { name: 'Full' },
  1: { name: 'SHA2-256', length: 32, hash: 'sha256' },
  2: { name: 'SHA2-512', length: 64, hash: 'sha512' },
};

/** "3 1 1 ab12…" as dig prints it and -dane_tlsa_rrdata takes it (mnemonics accepted too). */
export function parseTlsaRrdata(text: string): TlsaRecord | string {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 4) return 'a TLSA record is "USAGE SELECTOR MATCHING-TYPE HEX", e.g. "3 1 1 9f86d0…"';
  const number = (field: string, names: Record<number, string>): number | undefined => {
    const byName = Object.entries(names).find(([, name]) => name.toUpperCase() === field.toUpperCase());
    if (byName) return Number(byName[0]);
    return /^\d{1,3}$/.test(field) && Number(field) < 256 ? Number(field) : undefined;
  };
  const usage = number(fields[0], USAGES);
  const selector = number(fields[1], SELECTORS);
  const matchingType = number(fields[2], Object.fromEntries(Object.entries(MATCHING).map(([k, v]) => [k, v.name])));
  if (usage === undefined || selector === undefined || matchingType === undefined) {
    return `"${fields.slice(0, 3).join(' ')}" is not a TLSA usage, selector and matching type (numbers 0-255)`;
  }
  const hex = fields.slice(3).join('');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return 'the TLSA data must be hexadecimal, an even number of digits';
  return { usage, selector, matchingType, data: Buffer.from(hex, 'hex') };
}

/** The record as dig prints it, the data shortened when long. */
export function formatTlsa(record: TlsaRecord, full = false): string {
  const hex = record.data.toString('hex');
  return `${record.usage} ${record.selector} ${record.matchingType} ${full || hex.length <= 24 ? hex : `${hex.slice(0, 24)}…`}`;
}

export function describeTlsa(record: TlsaRecord): string {
  return `${USAGES[record.usage] ?? `usage ${record.usage}`}(${record.usage}) ${SELECTORS[record.selector] ?? `selector ${record.selector}`}(${record.selector}) ${MATCHING[record.matchingType]?.name ?? `matching type ${record.matchingType}`}(${record.matchingType})`;
}

function unusableWhy(record: TlsaRecord): string | undefined {
  if (record.usage === 0 || record.usage === 1) return `${USAGES[record.usage]}(${record.usage}) is not usable for SMTP (RFC 7672 §3.1.3)`;
  if (!USAGES[record.usage]) return `usage ${record.usage} is not defined`;
  if (!SELECTORS[record.selector]) return `selector ${record.selector} is not defined`;
  const matching = MATCHING[record.matchingType];
  if (!matching) return `matching type ${record.matchingType} is not defined`;
  if (matching.length && record.data.length !== matching.length) {
    return `a ${matching.name} digest is ${matching.length} bytes, this one is ${record.data.length}`;
  }
  if (record.data.length === 0) return 'the record has no data';
  return undefined;
}

/** The bytes a record's selector and matching type say to compare, for one certificate. */
function association(cert: X509Certificate, record: TlsaRecord): Buffer {
  const selected = record.selector === 0 ? cert.raw : cert.publicKey.export({ type: 'spki', format: 'der' });
  const hash = MATCHING[record.matchingType]?.hash;
  return hash ? createHash(hash).update(selected).digest() : selected;
}

/** Why a DANE-TA match at `depth` does not authenticate the leaf, or undefined when it does. */
function trustAnchorProblem(chain: X509Certificate[], depth: number, name: string, now: Date): string | undefined {
  for (let i = 0; i < depth; i++) {
    if (!chain[i].checkIssued(chain[i + 1]) || !chain[i].verify(chain[i + 1].publicKey)) {
      return `the certificate at depth ${i} is not issued by the one at depth ${i + 1}, so the chain does not reach the trust anchor`;
    }
  }
  for (let i = 0; i < depth; i++) {
    const cert = chain[i];
    if (now < new Date(cert.validFrom)) return `the certificate at depth ${i} is not valid before ${cert.validFrom}`;
    if (now > new Date(cert.validTo)) return `the certificate at depth ${i} expired on ${cert.validTo}`;
  }
  if (!chain[0].checkHost(name, { subject: 'default' })) return `the trust anchor matched, but the certificate is not for "${name}"`;
  return undefined;
}

/**
 * Matches `records` against the chain the server sent (PEM, leaf first). `name` is the
 * name DANE-TA(2) requires of the leaf: the TLSA base domain (-dane_tlsa_domain), else the host.
 */
export function matchDane(records: TlsaRecord[], chainPem: string[], name: string, now = new Date()): DaneResult {
  const unusable: Unusable[] = [];
  const usable: TlsaRecord[] = [];
  for (const record of records) {
    const why = unusableWhy(record);
    if (why) unusable.push({ record, why });
    else usable.push(record);
  }
  if (usable.length === 0) return { status: 'unusable', unusable };
  const chain = chainPem.map((pem) => new X509Certificate(pem));
  if (chain.length === 0) return { status: 'invalid', reasons: ['the server sent no certificate'], unusable };
  const reasons: string[] = [];
  for (const record of usable) {
    if (record.usage === 3) {
      if (association(chain[0], record).equals(record.data)) return { status: 'valid', record, depth: 0, unusable };
      reasons.push(`${formatTlsa(record)}: does not match the server's certificate`);
      continue;
    }
    const depth = chain.findIndex((cert, i) => i > 0 && association(cert, record).equals(record.data));
    if (depth < 0) {
      reasons.push(`${formatTlsa(record)}: matches no issuer certificate the server sent`);
      continue;
    }
    const problem = trustAnchorProblem(chain, depth, name, now);
    if (!problem) return { status: 'valid', record, depth, unusable };
    reasons.push(`${formatTlsa(record)}: ${problem}`);
  }
  return { status: 'invalid', reasons, unusable };
}

/** The TLSA record a certificate would be pinned with (for hints and tests). */
export function tlsaFor(certPem: string, usage: number, selector: number, matchingType: number): TlsaRecord {
  const record = { usage, selector, matchingType, data: Buffer.alloc(0) };
  return { ...record, data: association(new X509Certificate(certPem), record) };
}
