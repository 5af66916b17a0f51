// The TLS and certificate report, formatted from the plain data transport gathers. Every
// field the server or its certificate chose (names, serial, algorithms, the negotiated
// cipher) goes through the escaper: the report is SafeText, line by line.
import type { CertificateInfo } from '../transport/certificate.js';
import { isWeakSignature } from '../transport/der.js';
import type { TlsInfo } from '../transport/handshake.js';
import { escapeText } from './escape.js';
import { joinSafe, safe, type SafeText } from './safeText.js';
import type { Palette } from './style.js';

const day = (date: Date) => escapeText(date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC');

function keyText(cert: CertificateInfo, e: (text: string) => SafeText): SafeText {
  const curve = cert.keyCurve ? safe` ${e(cert.keyCurve)}` : safe``;
  return safe`${e(cert.keyType)}${curve}${cert.keyBits ? safe` ${cert.keyBits} bits` : safe``}`;
}

function validity(cert: CertificateInfo, p: Palette): SafeText {
  const range = safe`${day(cert.validFrom)} to ${day(cert.validTo)}`;
  if (cert.daysLeft < 0) return safe`${range} ${p.error(safe`(EXPIRED ${-cert.daysLeft} days ago)`)}`;
  if (cert.validFrom.getTime() > Date.now()) return safe`${range} ${p.error(safe`(NOT YET VALID)`)}`;
  const left = safe`(${cert.daysLeft} days left)`;
  return safe`${range} ${cert.daysLeft < 14 ? p.warn(left) : left}`;
}

const when = (date: Date | undefined) => (date ? day(date) : safe`none given`);

/** One word for the staple in the brief line: good, REVOKED, unknown, STALE, or NOT verified. */
function ocspWord(info: TlsInfo, p: Palette): SafeText {
  const ocsp = info.ocsp;
  if (!ocsp || ocsp.responseStatus !== 'successful') return p.error(safe`error`);
  if (!ocsp.signature.verified) return p.error(safe`NOT verified`);
  if (ocsp.status?.kind === 'revoked') return p.error(safe`REVOKED`);
  if (ocsp.stale) return p.error(safe`STALE`);
  if (ocsp.status?.kind === 'good') return p.good(safe`good`);
  return p.warn(safe`${ocsp.status ? safe`unknown` : safe`no entry`}`);
}

/** The staple: whether there was one, and with -status what it says and whether it holds. */
function ocspLines(info: TlsInfo, p: Palette, e: (text: string) => SafeText): SafeText[] {
  const head = p.bold(safe`OCSP stapling`);
  const { ocsp } = info;
  if (!ocsp) return [safe`${head} ${info.ocspStapled ? safe`a response was stapled` : safe`no response stapled`}`];
  if (ocsp.responseStatus !== 'successful') return [safe`${head} ${p.error(safe`the responder answered ${e(ocsp.responseStatus)}`)}${ocsp.signature.problem ? safe` (${e(ocsp.signature.problem)})` : safe``}`];
  const status = ocsp.status;
  const statusText = !status
    ? p.error(safe`the response has no entry for this certificate`)
    : status.kind === 'good'
      ? p.good(safe`good`)
      : status.kind === 'revoked'
        ? p.error(safe`REVOKED since ${day(status.at)}${status.reason ? safe` (${e(status.reason)})` : safe``}`)
        : p.warn(safe`unknown to the responder`);
  const signature = ocsp.signature.verified ? p.good(safe`verified: signed by ${e(ocsp.signature.signer ?? '')}`) : p.error(safe`NOT verified: ${e(ocsp.signature.problem ?? '')}`);
  return [
    safe`${head} a response was stapled`,
    safe`  cert status  ${statusText}`,
    safe`  signature    ${signature}`,
    safe`  responder    ${e(ocsp.responder ?? 'not named')}`,
    safe`  produced at  ${when(ocsp.producedAt)}`,
    safe`  this update  ${when(ocsp.thisUpdate)}`,
    safe`  next update  ${when(ocsp.nextUpdate)}${ocsp.stale ? safe` ${p.error(safe`(STALE: ${e(ocsp.stale)})`)}` : safe``}`,
  ];
}

/** Whether the server asked for a client certificate (and from which CAs), and whether one went. */
function clientAuthLines(info: TlsInfo, p: Palette, e: (text: string) => SafeText): SafeText[] {
  const auth = info.clientAuth;
  const mine = info.clientCertificate;
  if (!auth) return mine ? [safe`  client cert  ${e(mine)} (offered if the server asks for one)`] : [];
  if (!auth.asked) return mine ? [p.warn(safe`  client cert  not asked for: ${e(mine)} was not sent`)] : [];
  const from = auth.authorities.length ? safe`from ${e(auth.authorities.join('; '))}` : safe`from any CA`;
  const sent = auth.sent ? p.good(safe`sent ${e(mine ?? 'a certificate')}`) : p.warn(safe`none sent (give one with -cert/-key or -pkcs12)`);
  return [safe`  client cert  asked for, ${from}; ${sent}`];
}

/** New, or resumed: what s_client calls "New" and "Reused". */
function sessionText(info: TlsInfo, p: Palette): SafeText {
  if (info.session.resumed) return p.good(safe`resumed (the saved session was accepted)`);
  if (info.session.offered) return p.warn(safe`new: the server did not resume the session offered`);
  return safe`new`;
}

function verdictLines(info: TlsInfo, p: Palette, e: (text: string) => SafeText): SafeText[] {
  const { verdict } = info;
  if (verdict.verified && verdict.by) return [p.good(safe`verified by ${e(verdict.by)}`)];
  if (verdict.verified) return [p.good(safe`verified: chain to a trusted root, and the name "${e(verdict.name)}" matches`)];
  return [p.error(safe`NOT verified:`), ...verdict.reasons.map((reason) => safe`  - ${e(reason)}`)];
}

export function formatTlsReport(info: TlsInfo, p: Palette, options: { showCerts?: boolean } = {}): SafeText[] {
  const e = (text: string) => escapeText(text, p.escape);
  const leaf = info.chain[0];
  const lines: SafeText[] = [
    p.bold(safe`TLS`),
    safe`  protocol     ${e(info.protocol)}`,
    safe`  cipher       ${e(info.cipher)}`,
    safe`  key exchange ${e(info.keyExchange ?? 'not reported')}`,
    safe`  ALPN         ${info.alpn ? e(info.alpn) : safe`none`}`,
    safe`  SNI sent     ${info.sni ? e(info.sni) : safe`none`}`,
    safe`  session      ${sessionText(info, p)}`,
  ];
  lines.push(...clientAuthLines(info, p, e));
  if (leaf) {
    const weakKey = leaf.keyType === 'RSA' && (leaf.keyBits ?? 0) < 2048;
    const signature = e(leaf.signatureAlgorithm ?? 'unknown');
    lines.push(
      p.bold(safe`Certificate`),
      safe`  subject      ${e(leaf.subject)}`,
      safe`  names (SAN)  ${leaf.subjectAltName ? e(leaf.subjectAltName) : safe`none`}`,
      safe`  issuer       ${e(leaf.issuer)}`,
      safe`  serial       ${e(leaf.serialNumber)}`,
      safe`  key          ${weakKey ? p.warn(safe`${keyText(leaf, e)} (weak)`) : keyText(leaf, e)}`,
      safe`  signature    ${isWeakSignature(leaf.signatureAlgorithm) ? p.warn(safe`${signature} (weak)`) : signature}`,
      safe`  valid        ${validity(leaf, p)}`,
      safe`  SHA-256      ${e(leaf.fingerprint256)}`,
      p.bold(info.chain.length === 1 ? safe`Chain (1 certificate)` : safe`Chain (${info.chain.length} certificates, leaf first)`),
      ...info.chain.map((cert, i) => {
        // Issuers the server did not send were found in the local trust store.
        const local = i >= info.sentCount ? safe` [local trust store, not sent]` : safe``;
        return safe`  ${i} ${e(cert.subject)}${cert.selfIssued ? safe` (self-signed)` : safe`  <- issued by ${e(cert.issuer)}`}${local}`;
      }),
    );
  }
  lines.push(...ocspLines(info, p, e));
  if (info.sourceDomain) {
    const { name, matches } = info.sourceDomain;
    lines.push(safe`${p.bold(safe`SRV domain`)}    ${matches ? safe`the certificate is valid for ${e(name)} too` : safe`the certificate is not valid for ${e(name)}, the domain the SRV record came from (a client without DNSSEC for the SRV answer may refuse it)`}`);
  }
  if (info.mtaSts && info.mtaSts.mode !== 'none') {
    const { mode, mx, mxMatch, certificateValid } = info.mtaSts;
    const problems = [...(mxMatch ? [] : [`${mx} is not among its mx patterns`]), ...(certificateValid ? [] : [`the certificate is not valid for ${mx}`])];
    const line = problems.length === 0 ? safe`${e(mode)} policy: ${e(mx)} is listed and the certificate is valid for it` : safe`${e(mode)} policy: ${e(problems.join('; '))}${mode === 'enforce' ? safe` \u2014 a sender would not deliver` : safe` \u2014 reported, not enforced`}`;
    lines.push(safe`${p.bold(safe`MTA-STS`)}       ${problems.length === 0 ? p.good(line) : mode === 'enforce' ? p.error(line) : p.warn(line)}`);
  }
  // With TLSA records DANE decides; what the CA chain alone says is shown beside it.
  if (info.pkix) {
    lines.push(safe`${p.bold(safe`PKIX`)}          ${info.pkix.verified ? safe`the CA chain verifies too` : safe`the CA chain alone would not verify (${e(info.pkix.reasons[0] ?? '')})`}`);
  }
  lines.push(
    safe`${p.bold(safe`Verdict`)} ${joinSafe(verdictLines(info, p, e), '\n')}`,
  );
  if (options.showCerts) lines.push(...formatCertChain(info, p));
  return lines;
}

/** -showcerts: the PEM of every certificate in the chain, leaf first. */
export function formatCertChain(info: TlsInfo, p: Palette): SafeText[] {
  // PEM is base64 between armour lines, made from the server's DER: escaped all the same.
  return info.chain.flatMap((cert) => cert.pem.trimEnd().split('\n').map((line) => escapeText(line, p.escape)));
}

export function formatBriefTls(info: TlsInfo, p: Palette): SafeText {
  const e = (text: string) => escapeText(text, p.escape);
  const leaf = info.chain[0];
  const cert = leaf ? safe`cert ${e(leaf.subject)}, ${leaf.daysLeft} days left` : safe`no certificate`;
  const verdict = info.verdict.verified ? p.good(safe`verified`) : p.error(safe`NOT verified (${e(info.verdict.reasons[0] ?? '')})`);
  const resumed = info.session.resumed ? safe`, session resumed` : safe``;
  const staple = info.ocsp ? safe`, OCSP ${ocspWord(info, p)}` : safe``;
  return safe`TLS ${e(info.protocol)} ${e(info.cipher)}${info.keyExchange ? safe` ${e(info.keyExchange)}` : safe``}${resumed}, ${cert}, ${verdict}${staple}`;
}
