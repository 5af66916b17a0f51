// The TLS and certificate report, formatted from the plain data transport gathers.
import type { CertificateInfo } from '../transport/certificate.js';
import { isWeakSignature } from '../transport/der.js';
import type { TlsInfo } from '../transport/handshake.js';
import { escapeText } from './escape.js';
import type { Palette } from './style.js';

const day = (date: Date) => date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

function keyText(cert: CertificateInfo): string {
  const curve = cert.keyCurve ? ` ${cert.keyCurve}` : '';
  return `${cert.keyType}${curve}${cert.keyBits ? ` ${cert.keyBits} bits` : ''}`;
}

function validity(cert: CertificateInfo, p: Palette): string {
  const range = `${day(cert.validFrom)} to ${day(cert.validTo)}`;
  if (cert.daysLeft < 0) return `${range} ${p.error(`(EXPIRED ${-cert.daysLeft} days ago)`)}`;
  if (cert.validFrom.getTime() > Date.now()) return `${range} ${p.error('(NOT YET VALID)')}`;
  const left = `(${cert.daysLeft} days left)`;
  return `${range} ${cert.daysLeft < 14 ? p.warn(left) : left}`;
}

function verdictLine(info: TlsInfo, p: Palette): string[] {
  const { verdict } = info;
  if (verdict.verified) return [p.good(`verified: chain to a trusted root, and the name "${escapeText(verdict.name)}" matches`)];
  return [p.error('NOT verified:'), ...verdict.reasons.map((reason) => `  - ${escapeText(reason, p.escape)}`)];
}

export function formatTlsReport(info: TlsInfo, p: Palette, options: { showCerts?: boolean } = {}): string[] {
  const safe = (text: string) => escapeText(text, p.escape);
  const leaf = info.chain[0];
  const lines = [
    p.bold('TLS'),
    `  protocol     ${info.protocol}`,
    `  cipher       ${info.cipher}`,
    `  key exchange ${info.keyExchange ?? 'not reported'}`,
    `  ALPN         ${info.alpn ? safe(info.alpn) : 'none'}`,
    `  SNI sent     ${info.sni ? safe(info.sni) : 'none'}`,
  ];
  if (leaf) {
    const weakKey = leaf.keyType === 'RSA' && (leaf.keyBits ?? 0) < 2048;
    lines.push(
      p.bold('Certificate'),
      `  subject      ${safe(leaf.subject)}`,
      `  names (SAN)  ${leaf.subjectAltName ? safe(leaf.subjectAltName) : 'none'}`,
      `  issuer       ${safe(leaf.issuer)}`,
      `  serial       ${leaf.serialNumber}`,
      `  key          ${weakKey ? p.warn(keyText(leaf) + ' (weak)') : keyText(leaf)}`,
      `  signature    ${isWeakSignature(leaf.signatureAlgorithm) ? p.warn(`${leaf.signatureAlgorithm} (weak)`) : leaf.signatureAlgorithm ?? 'unknown'}`,
      `  valid        ${validity(leaf, p)}`,
      `  SHA-256      ${leaf.fingerprint256}`,
      p.bold(`Chain (${info.chain.length} certificates, leaf first)`),
      ...info.chain.map((cert, i) => `  ${i} ${safe(cert.subject)}${cert.selfIssued ? ' (self-signed)' : `  <- issued by ${safe(cert.issuer)}`}`),
    );
  }
  lines.push(
    `${p.bold('OCSP stapling')} ${info.ocspStapled ? 'a response was stapled' : 'no response stapled'}`,
    `${p.bold('Verdict')} ${verdictLine(info, p).join('\n')}`,
  );
  if (options.showCerts) lines.push(...info.chain.map((cert) => cert.pem.trimEnd()));
  return lines;
}

export function formatBriefTls(info: TlsInfo, p: Palette): string {
  const leaf = info.chain[0];
  const cert = leaf ? `cert ${escapeText(leaf.subject, p.escape)}, ${leaf.daysLeft} days left` : 'no certificate';
  const verdict = info.verdict.verified ? p.good('verified') : p.error(`NOT verified (${escapeText(info.verdict.reasons[0], p.escape)})`);
  return `TLS ${info.protocol} ${info.cipher}${info.keyExchange ? ` ${info.keyExchange}` : ''}, ${cert}, ${verdict}`;
}
