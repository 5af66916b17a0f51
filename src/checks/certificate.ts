// Certificate checks from a TLS report: chain, hostname, expiry, key, signature, chain
// completeness and OCSP stapling.
import { isWeakSignature } from '../transport/der.js';
import type { TlsInfo } from '../transport/handshake.js';
import type { CheckResult } from './types.js';

export interface ExpiryThresholds {
  warnDays: number;
  critDays: number;
}

const HOSTNAME = /^hostname mismatch/;

export function certificateChecks(info: TlsInfo, thresholds: ExpiryThresholds, authorizationError?: string): CheckResult[] {
  const leaf = info.chain[0];
  if (!leaf) return [{ id: 'certificate.chain', verdict: 'fail', summary: 'the server sent no certificate' }];
  const reasons = info.verdict.verified ? [] : info.verdict.reasons;
  const chainReasons = reasons.filter((r) => !HOSTNAME.test(r));
  const hostReason = reasons.find((r) => HOSTNAME.test(r));
  const results: CheckResult[] = [
    chainReasons.length === 0
      ? { id: 'certificate.chain', verdict: 'ok', summary: `chain verifies to a trusted root (${info.chain.length} certificates)` }
      : { id: 'certificate.chain', verdict: 'fail', summary: chainReasons.join('; ') },
    hostReason
      ? { id: 'certificate.hostname', verdict: 'fail', summary: hostReason, details: { name: info.verdict.name, names: leaf.subjectAltName } }
      : { id: 'certificate.hostname', verdict: 'ok', summary: `the certificate is valid for "${info.verdict.name}"`, details: { name: info.verdict.name } },
  ];
  const days = leaf.daysLeft;
  const expires = leaf.validTo.toISOString();
  if (days < 0) results.push({ id: 'certificate.expiry', verdict: 'fail', summary: `expired ${-days} days ago (${expires})`, details: { daysLeft: days, notAfter: expires } });
  else if (days <= thresholds.critDays) results.push({ id: 'certificate.expiry', verdict: 'fail', summary: `expires in ${days} days (${expires}), within --crit-days ${thresholds.critDays}`, details: { daysLeft: days, notAfter: expires } });
  else if (days <= thresholds.warnDays) results.push({ id: 'certificate.expiry', verdict: 'warn', summary: `expires in ${days} days (${expires}), within --warn-days ${thresholds.warnDays}`, details: { daysLeft: days, notAfter: expires } });
  else results.push({ id: 'certificate.expiry', verdict: 'ok', summary: `expires in ${days} days (${expires})`, details: { daysLeft: days, notAfter: expires } });

  const weakKey = leaf.keyType === 'RSA' && (leaf.keyBits ?? 0) < 2048;
  results.push({
    id: 'certificate.key',
    verdict: weakKey ? 'fail' : 'ok',
    summary: `${leaf.keyType}${leaf.keyCurve ? ` ${leaf.keyCurve}` : ''} ${leaf.keyBits ?? '?'} bits${weakKey ? ': weaker than RSA 2048' : ''}`,
    details: { type: leaf.keyType, bits: leaf.keyBits, curve: leaf.keyCurve },
  });
  const weakSig = isWeakSignature(leaf.signatureAlgorithm);
  results.push({
    id: 'certificate.signature',
    verdict: weakSig ? 'fail' : 'ok',
    summary: `${leaf.signatureAlgorithm ?? 'unknown'}${weakSig ? ': a broken digest' : ''}`,
    details: { algorithm: leaf.signatureAlgorithm },
  });
  // The leaf's issuer could not be found, though the server sent no intermediate: the
  // classic missing-intermediate mistake.
  const incomplete =
    (authorizationError === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || authorizationError === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') &&
    info.chain.length === 1 &&
    !leaf.selfIssued;
  results.push(
    incomplete
      ? { id: 'certificate.chain_complete', verdict: 'fail', summary: `the server sent only its own certificate; the intermediate that issued it ("${leaf.issuer}") is missing` }
      : { id: 'certificate.chain_complete', verdict: 'ok', summary: 'no missing intermediate' },
  );
  results.push({
    id: 'certificate.ocsp_staple',
    verdict: 'info',
    summary: info.ocspStapled ? 'an OCSP response was stapled' : 'no OCSP response stapled',
    details: { stapled: info.ocspStapled },
  });
  return results;
}
