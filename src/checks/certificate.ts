// Certificate checks from a TLS report: chain, hostname, expiry, key, signature, chain
// completeness and OCSP stapling.
import { isWeakSignature } from '../transport/der.js';
import type { TlsInfo } from '../transport/handshake.js';
import { describeTlsa, formatTlsa, type DaneResult } from '../transport/dane.js';
import type { CheckResult } from './types.js';

export interface ExpiryThresholds {
  warnDays: number;
  critDays: number;
}

const HOSTNAME = /^hostname mismatch/;

/** The `dane` check: which TLSA record matched, or why none did. */
function daneCheck(dane: DaneResult): CheckResult {
  const unusable = dane.unusable.map((each) => `${formatTlsa(each.record)}: ${each.why}`);
  if (dane.status === 'valid') {
    return { id: 'dane', verdict: 'ok', summary: `TLSA ${formatTlsa(dane.record)} (${describeTlsa(dane.record)}) matches at depth ${dane.depth}`, details: { status: 'valid', matched: formatTlsa(dane.record, true), depth: dane.depth, unusable } };
  }
  if (dane.status === 'unusable') {
    return { id: 'dane', verdict: 'warn', summary: `no usable TLSA record (${unusable.join('; ')}): TLS without authentication`, details: { status: 'unusable', unusable } };
  }
  return { id: 'dane', verdict: 'fail', summary: `no TLSA record matches: ${dane.reasons.join('; ')}`, details: { status: 'invalid', unusable } };
}

/**
 * Whether the server left out an intermediate. When the chain ends in a certificate whose
 * issuer is neither sent nor trusted, only a published issuer (AIA caIssuers, as public CAs
 * give) says it is an intermediate; without one it may as well be a private CA's root.
 */
function chainCompleteness(info: TlsInfo): CheckResult {
  const anchor = info.anchor;
  const top = info.chain.at(-1);
  if (anchor?.kind !== 'unknown-issuer') return { id: 'certificate.chain_complete', verdict: 'ok', summary: 'no missing intermediate' };
  if (top?.caIssuers) {
    return {
      id: 'certificate.chain_complete',
      verdict: 'fail',
      summary: `the server did not send the intermediate "${anchor.issuer}" that issued "${anchor.top}" (it is published at ${top.caIssuers})`,
      details: { issuer: anchor.issuer, caIssuers: top.caIssuers },
    };
  }
  return {
    id: 'certificate.chain_complete',
    verdict: 'warn',
    summary: `"${anchor.issuer}" is neither sent nor trusted: an unknown root (your private CA? give it with --CAfile) or an intermediate the server left out`,
    details: { issuer: anchor.issuer },
  };
}

/** The stapled OCSP response: none is information; revoked, stale or badly signed fails. */
function stapleCheck(info: TlsInfo): CheckResult {
  const { ocsp } = info;
  const id = 'certificate.ocsp_staple';
  if (!info.ocspStapled) return { id, verdict: 'info', summary: 'no OCSP response stapled', details: { stapled: false } };
  if (!ocsp) return { id, verdict: 'info', summary: 'an OCSP response was stapled (not read)', details: { stapled: true } };
  const details = {
    stapled: true,
    responseStatus: ocsp.responseStatus,
    certStatus: ocsp.status?.kind ?? null,
    revokedAt: ocsp.status?.kind === 'revoked' ? ocsp.status.at.toISOString() : undefined,
    revocationReason: ocsp.status?.kind === 'revoked' ? ocsp.status.reason : undefined,
    producedAt: ocsp.producedAt?.toISOString(),
    thisUpdate: ocsp.thisUpdate?.toISOString(),
    nextUpdate: ocsp.nextUpdate?.toISOString(),
    signatureVerified: ocsp.signature.verified,
    signer: ocsp.signature.signer,
    responder: ocsp.responder,
  };
  const fail = (summary: string): CheckResult => ({ id, verdict: 'fail', summary, details });
  if (ocsp.responseStatus !== 'successful') return fail(`the stapled OCSP response is an error: ${ocsp.responseStatus}`);
  if (!ocsp.signature.verified) return fail(`the stapled OCSP response is not to be trusted: ${ocsp.signature.problem}`);
  if (!ocsp.status) return fail('the stapled OCSP response has no entry for this certificate');
  if (ocsp.status.kind === 'revoked') return fail(`the certificate is REVOKED (stapled OCSP response${ocsp.status.reason ? `: ${ocsp.status.reason}` : ''}, since ${ocsp.status.at.toISOString()})`);
  if (ocsp.stale) return fail(`the stapled OCSP response is stale: ${ocsp.stale}`);
  if (ocsp.status.kind === 'unknown') return { id, verdict: 'warn', summary: 'the stapled OCSP response says the responder does not know this certificate', details };
  return { id, verdict: 'ok', summary: `a good OCSP response was stapled, signed by ${ocsp.signature.signer}, valid until ${ocsp.nextUpdate?.toISOString() ?? 'further notice (no nextUpdate)'}`, details };
}

export function certificateChecks(info: TlsInfo, thresholds: ExpiryThresholds): CheckResult[] {
  const leaf = info.chain[0];
  if (!leaf) return [{ id: 'certificate.chain', verdict: 'fail', summary: 'the server sent no certificate' }];
  // With TLSA records DANE decides (RFC 7672 §2.2): the CA chain's failings are then facts, not failures.
  const pkix = info.pkix ?? info.verdict;
  const failing = info.dane ? 'info' : 'fail';
  const reasons = pkix.verified ? [] : pkix.reasons;
  const chainReasons = reasons.filter((r) => !HOSTNAME.test(r));
  const hostReason = reasons.find((r) => HOSTNAME.test(r));
  const results: CheckResult[] = [
    chainReasons.length === 0
      ? { id: 'certificate.chain', verdict: 'ok', summary: `chain verifies to a trusted root (${info.chain.length} certificates)` }
      : { id: 'certificate.chain', verdict: failing, summary: chainReasons.join('; ') },
    hostReason
      ? { id: 'certificate.hostname', verdict: failing, summary: hostReason, details: { name: pkix.name, names: leaf.subjectAltName } }
      : { id: 'certificate.hostname', verdict: 'ok', summary: `the certificate is valid for "${pkix.name}"`, details: { name: pkix.name } },
  ];
  if (info.dane) results.push(daneCheck(info.dane));
  if (info.sourceDomain) {
    const { name, matches } = info.sourceDomain;
    results.push(
      matches
        ? { id: 'certificate.srv_domain', verdict: 'ok', summary: `the certificate is valid for ${name}, the domain the SRV record came from, too`, details: { name, matches } }
        : { id: 'certificate.srv_domain', verdict: 'info', summary: `the certificate is not valid for ${name}, the domain the SRV record came from: clients that do not trust the SRV answer (no DNSSEC) may refuse it`, details: { name, matches } },
    );
  }
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
  results.push(chainCompleteness(info));
  results.push(stapleCheck(info));
  return results;
}
