// The mechanism table: name → client factory, and which offered mechanism to use.
import { createCramMd5Client } from './cramMd5.js';
import { createLoginClient } from './login.js';
import { createOauthBearerClient, createXoauth2Client } from './oauth.js';
import { createPlainClient } from './plain.js';
import { createScramClient } from './scram.js';
import { MECHANISM_NAMES, SaslError, type ClientOptions, type Credentials, type MechanismName, type SaslClient } from './types.js';

type Factory = (credentials: Credentials, options: ClientOptions) => SaslClient;

const FACTORIES = new Map<MechanismName, Factory>([
  ['PLAIN', createPlainClient],
  ['LOGIN', createLoginClient],
  ['CRAM-MD5', createCramMd5Client],
  ['SCRAM-SHA-1', (credentials, options) => createScramClient('SCRAM-SHA-1', credentials, options)],
  ['SCRAM-SHA-256', (credentials, options) => createScramClient('SCRAM-SHA-256', credentials, options)],
  ['XOAUTH2', createXoauth2Client],
  ['OAUTHBEARER', createOauthBearerClient],
]);

/**
 * Strongest first. The OAuth mechanisms need a token rather than a password, so they are
 * used only when asked for by name. The -PLUS variants (channel binding) are not matched.
 */
export const PREFERENCE: readonly MechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'CRAM-MD5', 'PLAIN', 'LOGIN'];

/** Throws SaslError (exit code USAGE) when the credentials cannot be carried by the mechanism. */
export function createSaslClient(mechanism: MechanismName, credentials: Credentials, options: ClientOptions = {}): SaslClient {
  const factory = FACTORIES.get(mechanism);
  if (!factory) throw new SaslError('UNSUPPORTED', `mailprobe does not implement the SASL mechanism ${String(mechanism)}`);
  return factory(credentials, options);
}

/** The strongest password mechanism among those the server offers (any case), if any. */
export function pickMechanism(offered: readonly string[]): MechanismName | undefined {
  const names = new Set(offered.map((word) => word.toUpperCase()));
  return PREFERENCE.find((name) => names.has(name));
}

/** The mechanism the user's word names, case-insensitively ("scram-sha-256" → 'SCRAM-SHA-256'). */
export function toMechanismName(word: string): MechanismName | undefined {
  const upper = word.toUpperCase();
  return MECHANISM_NAMES.find((name) => name === upper);
}

/**
 * Case-insensitive, so deliberately not a type guard ('plain' is not the type 'PLAIN'):
 * use toMechanismName to get the canonical name.
 */
export function isMechanismName(word: string): boolean {
  return toMechanismName(word) !== undefined;
}
