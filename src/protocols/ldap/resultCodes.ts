// LDAP result codes by name (RFC 4511 §4.1.9 and Appendix A; 118-121 RFC 3909 Cancel,
// 122 RFC 4528 assertion, 123 RFC 4370 proxied authorization), so a refusal reads
// "unavailable (52)".
import type { Tone } from '../types.js';

const NAMES: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  5: 'compareFalse',
  6: 'compareTrue',
  7: 'authMethodNotSupported',
  8: 'strongerAuthRequired',
  10: 'referral',
  11: 'adminLimitExceeded',
  12: 'unavailableCriticalExtension',
  13: 'confidentialityRequired',
  14: 'saslBindInProgress',
  16: 'noSuchAttribute',
  17: 'undefinedAttributeType',
  18: 'inappropriateMatching',
  19: 'constraintViolation',
  20: 'attributeOrValueExists',
  21: 'invalidAttributeSyntax',
  32: 'noSuchObject',
  33: 'aliasProblem',
  34: 'invalidDNSyntax',
  36: 'aliasDereferencingProblem',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  54: 'loopDetect',
  64: 'namingViolation',
  65: 'objectClassViolation',
  66: 'notAllowedOnNonLeaf',
  67: 'notAllowedOnRDN',
  68: 'entryAlreadyExists',
  69: 'objectClassModsProhibited',
  71: 'affectsMultipleDSAs',
  80: 'other',
  118: 'canceled',
  119: 'noSuchOperation',
  120: 'tooLate',
  121: 'cannotCancel',
  122: 'assertionFailed',
  123: 'authorizationDenied',
};

/** "unavailable (52)"; a code RFC 4511 does not name is "resultCode 99". */
export function resultName(code: number): string {
  const name = NAMES[code];
  return name ? `${name} (${code})` : `resultCode ${code}`;
}

/** success ok; compareTrue/compareFalse are answers, not failures; everything else (referral too) a refusal. */
export function toneOfResult(code: number): Tone {
  if (code === 0 || code === 5 || code === 6) return 'ok';
  if (code === 14) return 'intermediate';
  return 'permfail';
}
