// SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), without channel binding. Unlike the
// other mechanisms the server proves it knows the password too (the `v=` signature), so
// every check here fails closed: a server that cannot prove itself is not trusted.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { escapeSaslName, gs2Header } from './gs2.js';
import { SaslError, type ClientOptions, type Credentials, type SaslClient, type SaslStep } from './types.js';
import { decodeUtf8Strict } from './utf8.js';

export type ScramMechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

const HASHES: Record<ScramMechanism, { hash: 'sha1' | 'sha256'; length: number }> = {
  'SCRAM-SHA-1': { hash: 'sha1', length: 20 },
  'SCRAM-SHA-256': { hash: 'sha256', length: 32 },
};

/** RFC 7677 §4: at least 4096. A server asking for fewer may be an attacker making the proof cheap to crack. */
export const MIN_ITERATIONS = 4096;
// pbkdf2Sync blocks: 10M SHA-1 rounds take a few seconds, so a hostile count cannot hang us for long.
export const MAX_ITERATIONS = 10_000_000;

// RFC 5802 §7: printable ASCII except ','.
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * SASLprep (RFC 4013) approximated by NFKC, which is its core mapping step; the
 * prohibited-character and bidi checks are left out. ASCII credentials are unaffected.
 */
const saslPrep = (text: string): string => text.normalize('NFKC');

type State = 'INITIAL' | 'CLIENT_FIRST_SENT' | 'CLIENT_FINAL_SENT' | 'VERIFIED' | 'FAILED';

export function createScramClient(mechanism: ScramMechanism, credentials: Credentials, options: ClientOptions = {}): SaslClient {
  const { hash, length } = HASHES[mechanism];
  const nonce = options.nonce ? options.nonce() : randomBytes(24).toString('base64');
  if (!NONCE.test(nonce)) throw new TypeError('a SCRAM nonce must be printable ASCII without commas');

  const header = gs2Header(credentials.authzid === undefined ? undefined : saslPrep(credentials.authzid));
  const clientFirstBare = `n=${escapeSaslName(saslPrep(credentials.user))},r=${nonce}`;
  const clientFirst = Buffer.from(header + clientFirstBare, 'utf8');
  let state: State = 'INITIAL';
  let expectedServerSignature: Buffer | undefined;

  const hmac = (key: Buffer, data: string | Buffer): Buffer => createHmac(hash, key).update(data).digest();

  /** Server-first → client-final (RFC 5802 §3 for the formulas, §5.1 for the checks). */
  function clientFinal(challenge: Buffer): Buffer {
    const serverFirst = readMessage(challenge, 'server-first');
    const attributes = parseAttributes(serverFirst);
    const first = attributes[0];
    if (first?.[0] === 'e') throw new SaslError('SERVER_ERROR', `the server reported a SCRAM error: ${first[1]}`);
    if (first?.[0] === 'm') throw new SaslError('UNSUPPORTED_EXTENSION', 'the server requires a SCRAM extension (m=) that mailprobe does not implement');
    const [r, s, i] = [attributes[0], attributes[1], attributes[2]];
    if (r?.[0] !== 'r' || s?.[0] !== 's' || i?.[0] !== 'i') {
      throw new SaslError('MALFORMED_CHALLENGE', 'the SCRAM server-first message is not r=…,s=…,i=…');
    }
    const serverNonce = r[1];
    // The server appends its own part to our nonce; anything else is a replay or a forgery.
    if (!NONCE.test(serverNonce) || !serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) {
      throw new SaslError('BAD_SERVER_NONCE', 'the server nonce does not extend the client nonce');
    }
    const salt = decodeBase64Strict(s[1]);
    if (!salt || salt.length === 0) throw new SaslError('MALFORMED_CHALLENGE', 'the SCRAM salt is not valid base64');
    if (!/^[1-9][0-9]{0,9}$/.test(i[1])) throw new SaslError('MALFORMED_CHALLENGE', `the SCRAM iteration count "${i[1]}" is not a number`);
    const iterations = Number(i[1]);
    if (iterations < MIN_ITERATIONS) {
      throw new SaslError('DOWNGRADE', `the server asked for ${iterations} SCRAM iterations, fewer than the minimum ${MIN_ITERATIONS} (RFC 7677 §4): refused as a possible downgrade`);
    }
    if (iterations > MAX_ITERATIONS) {
      throw new SaslError('MALFORMED_CHALLENGE', `the server asked for ${iterations} SCRAM iterations, more than mailprobe computes (${MAX_ITERATIONS})`);
    }

    const saltedPassword = pbkdf2Sync(Buffer.from(saslPrep(credentials.secret), 'utf8'), salt, iterations, length, hash);
    const clientKey = hmac(saltedPassword, 'Client Key');
    const storedKey = createHash(hash).update(clientKey).digest();
    // c= is the base64 GS2 header: "biws" for "n,,".
    const withoutProof = `c=${encodeBase64(header)},r=${serverNonce}`;
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, index) => byte ^ clientSignature[index]!));
    expectedServerSignature = hmac(hmac(saltedPassword, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Server-final: `v=<ServerSignature>` or `e=<error>` (RFC 5802 §7). */
  function verify(serverFinal: Buffer): void {
    if (!expectedServerSignature) {
      throw new SaslError('MISSING_SERVER_SIGNATURE', 'the server ended the SCRAM exchange before it received the client proof');
    }
    if (serverFinal.length === 0) throw new SaslError('MISSING_SERVER_SIGNATURE', 'the SCRAM server-final message is empty: no server signature (v=)');
    const attributes = parseAttributes(readMessage(serverFinal, 'server-final'));
    const first = attributes[0];
    if (first?.[0] === 'e') throw new SaslError('SERVER_ERROR', `the server reported a SCRAM error: ${first[1]}`);
    if (first?.[0] !== 'v') throw new SaslError('MISSING_SERVER_SIGNATURE', 'the SCRAM server-final message has no server signature (v=)');
    const signature = decodeBase64Strict(first[1]);
    // timingSafeEqual throws on different lengths, so the length is checked first.
    if (!signature || signature.length !== expectedServerSignature.length || !timingSafeEqual(signature, expectedServerSignature)) {
      throw new SaslError('BAD_SERVER_SIGNATURE', 'the SCRAM server signature is wrong: the server does not know the password, or someone is in between');
    }
  }

  /** Runs one transition; any failure leaves the client FAILED so nothing more is sent. */
  function advance<T>(next: State, run: () => T): T {
    try {
      const result = run();
      state = next;
      return result;
    } catch (error) {
      state = 'FAILED';
      throw error;
    }
  }

  return {
    mechanism,
    sensitive: true,
    initialResponse(): Buffer {
      if (state !== 'INITIAL') throw new SaslError('UNEXPECTED_CHALLENGE', 'the SCRAM client-first message was already sent');
      state = 'CLIENT_FIRST_SENT';
      return clientFirst;
    },
    respond(challenge: Buffer): SaslStep {
      switch (state) {
        case 'INITIAL':
          // Without an initial response the server asks with an empty challenge (RFC 4422 §5).
          return advance('CLIENT_FIRST_SENT', () => {
            if (challenge.length > 0) throw new SaslError('MALFORMED_CHALLENGE', 'SCRAM expects an empty first challenge');
            return { response: clientFirst };
          });
        case 'CLIENT_FIRST_SENT':
          return advance('CLIENT_FINAL_SENT', () => ({ response: clientFinal(challenge), done: true }));
        case 'CLIENT_FINAL_SENT':
          // Server-final as a last challenge (SMTP 334, IMAP +): verified, answered empty.
          return advance('VERIFIED', () => {
            verify(challenge);
            return { response: Buffer.alloc(0), done: true };
          });
        case 'VERIFIED':
        case 'FAILED':
          throw new SaslError('UNEXPECTED_CHALLENGE', `the server sent a challenge after the SCRAM exchange ${state === 'FAILED' ? 'failed' : 'finished'}`);
      }
    },
    verifyFinal(serverFinal: Buffer): void {
      if (state === 'FAILED') throw new SaslError('UNEXPECTED_CHALLENGE', 'the SCRAM exchange already failed');
      advance('VERIFIED', () => verify(serverFinal));
    },
  };
}

/** SCRAM messages are UTF-8 text without control characters. */
function readMessage(bytes: Buffer, what: string): string {
  const text = decodeUtf8Strict(bytes);
  if (text === undefined || text.length === 0 || /[\u0000-\u001f\u007f]/.test(text)) {
    throw new SaslError('MALFORMED_CHALLENGE', `the SCRAM ${what} message is not SCRAM text`);
  }
  return text;
}

/** "a=1,b=2" → [['a','1'],['b','2']]; values may hold '=' (base64). */
function parseAttributes(text: string): Array<[string, string]> {
  return text.split(',').map((part) => {
    const match = /^([A-Za-z])=(.*)$/.exec(part);
    if (!match) throw new SaslError('MALFORMED_CHALLENGE', `"${part.slice(0, 40)}" is not a SCRAM attribute`);
    return [match[1]!, match[2]!];
  });
}
