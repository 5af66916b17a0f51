// One test PKI per test file, made on first use.
import { makePki, type Pki } from './certs.js';

let pki: Pki | undefined;
export function testPki(): Pki {
  pki ??= makePki();
  return pki;
}

export const tlsOf = (pair: { certPem: string; keyPem: string }) => ({ cert: pair.certPem, key: pair.keyPem });
