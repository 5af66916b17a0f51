// SASL mechanisms as pure functions: bytes in, bytes out; no sockets, no printing.
export { decodeBase64Strict, describeDecoded, encodeBase64, type DecodedView } from './base64.js';
export { createSaslClient, isMechanismName, pickMechanism, PREFERENCE, toMechanismName } from './mechanisms.js';
export { MAX_ITERATIONS, MIN_ITERATIONS } from './scram.js';
export {
  MECHANISM_NAMES,
  SaslError,
  type ClientOptions,
  type Credentials,
  type MechanismName,
  type SaslClient,
  type SaslErrorReason,
  type SaslStep,
} from './types.js';
