// Property-based fuzzing of SASL: strict base64 (decodeBase64Strict, describeDecoded, and
// the challenge annotation the session prints), and every mechanism's client fed random,
// mutated and well-formed-but-hostile challenges.
//
// Default budget: FUZZ_RUNS=200 cases per property. A long run:
//     FUZZ_RUNS=20000 npx vitest run test/fuzz
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict, describeDecoded, encodeBase64 } from '../../src/sasl/base64.js';
import { createSaslClient, MECHANISM_NAMES, SaslError, type Credentials, type MechanismName, type SaslClient } from '../../src/sasl/index.js';
import { describeChallenge } from '../../src/session/annotations.js';
import { budget, bytesArb, latin1, mutate, mutationArb, RUNS } from './support.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Strings that look like base64 and often nearly are: the alphabet, padding, and junk. */
const base64ishArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
  fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([b, m]) => mutate(latin1(Buffer.from(b).toString('base64')), m).toString('latin1')),
  fc.string({ unit: fc.constantFrom(...B64, '=', '=', '-', '_', ' ', '\n', '\r', '\t', '.', '!', '\u00e9', '\uff21'), maxLength: 24 }),
  fc.string({ maxLength: 12 }),
);

/** The code points a terminal would act on or that reorder or hide text (see escape.ts). */
const DECEPTIVE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u;

describe('decodeBase64Strict (fuzz)', () => {
  it('round-trips any bytes through Buffer base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const decoded = decodeBase64Strict(Buffer.from(bytes).toString('base64'));
        expect(decoded?.equals(Buffer.from(bytes))).toBe(true);
        expect(decodeBase64Strict(encodeBase64(Buffer.from(bytes)))?.equals(Buffer.from(bytes))).toBe(true);
      }),
      budget(),
    );
  });

  it('accepts exactly the canonical encodings: never a string Node would decode differently', () => {
    fc.assert(
      fc.property(base64ishArb, (text) => {
        const decoded = decodeBase64Strict(text);
        const lenient = Buffer.from(text, 'base64');
        const canonical = lenient.toString('base64') === text;
        expect(decoded !== undefined).toBe(canonical);
        if (decoded) {
          expect(decoded.equals(lenient)).toBe(true);
          expect(decoded.toString('base64')).toBe(text);
          expect(text.length % 4).toBe(0);
          expect(/^[A-Za-z0-9+/]*={0,2}$/.test(text)).toBe(true);
        }
      }),
      budget(),
    );
  });

  it('refuses any one-character change to a canonical encoding that Node would read as other bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 30 }), fc.nat(), fc.constantFrom(...B64, '=', ' ', '-', '_', '\n'), (bytes, at, char) => {
        const good = Buffer.from(bytes).toString('base64');
        const i = at % good.length;
        const changed = good.slice(0, i) + char + good.slice(i + 1);
        const decoded = decodeBase64Strict(changed);
        if (decoded) expect(decoded.toString('base64')).toBe(changed);
        if (changed !== good && decoded) expect(decoded.equals(Buffer.from(bytes))).toBe(false);
      }),
      budget(),
    );
  });
});

describe('describeDecoded (fuzz)', () => {
  const controlCount = (text: string) => text.match(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g)?.length ?? 0;

  it('shows UTF-8 that is mostly text (at most a quarter controls) as the same text and everything else as hex of the first 64 bytes', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
      bytesArb(100),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        const view = describeDecoded(bytes);
        expect(describeDecoded(bytes)).toEqual(view);
        if (view.kind === 'text') {
          expect(Buffer.from(view.text, 'utf8').equals(bytes)).toBe(true);
          expect(controlCount(view.text) * 4).toBeLessThanOrEqual(view.text.length);
          return;
        }
        const hex = [...bytes.subarray(0, 64)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
        expect(view.hex).toBe(bytes.length > 64 ? `${hex} …` : hex);
        // Binary only when the bytes are not UTF-8, or more than a quarter controls.
        const text = bytes.toString('utf8');
        const isUtf8 = Buffer.from(text, 'utf8').equals(bytes);
        expect(isUtf8 && controlCount(text) * 4 <= text.length).toBe(false);
      }),
      budget(),
    );
  });

  // Fails at the time of writing: describeChallenge (src/session/annotations.ts) prints
  // describeDecoded's text through JSON.stringify, which escapes C0 controls but not bidi
  // overrides or zero-width characters, and Printer.server appends the note unescaped.
  // A server's "334 4oCuZXZpbA==" (U+202E "evil") reorders what the user reads.
  it('the annotation printed for any base64 challenge holds no control, bidi or invisible character', () => {
    const challengeBytes = fc.oneof(
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
      fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => Buffer.from(s, 'utf8')),
      fc
        .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u202e', '\u2066', '\u200b', '\u061c', '\ufeff', '\u2028', '\u200f'), fc.string({ maxLength: 8 }))
        .map(([a, b, c]) => Buffer.from(a + b + c, 'utf8')),
    );
    fc.assert(
      fc.property(challengeBytes, (bytes) => {
        const shown = describeChallenge(bytes.toString('base64'));
        expect(DECEPTIVE.test(shown), JSON.stringify(shown)).toBe(false);
      }),
      budget<[Buffer]>({ examples: [[Buffer.from('\u202eevil', 'utf8')]] }),
    );
  });
});

// ---------------------------------------------------------------------------------------
// SASL clients

const textArb = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', 'user@example.com', 'a,b=c', 'pa\u0000ss', 'tok en', '\u00c5ngstr\u00f6m'));

const credentialsArb: fc.Arbitrary<Credentials> = fc.record(
  {
    user: textArb,
    secret: textArb,
    authzid: textArb,
    host: textArb,
    port: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constant(Number.NaN), fc.constant(1.5)),
  },
  { requiredKeys: ['user', 'secret'] },
);

const NONCE = 'fyko+d2lbbFgONRv9qkxdawL';

/** SCRAM server-first messages: right shape, hostile contents; never a costly count. */
const serverFirstArb = fc
  .record({
    nonce: fc.oneof(
      { arbitrary: fc.constant(`${NONCE}3rfcNHYJY1ZVvWVs7j`), weight: 4 },
      fc.constant(NONCE),
      fc.string({ maxLength: 30 }),
      fc.constant(`${NONCE},x`),
      fc.constant(`${NONCE}\u00e9`),
    ),
    salt: fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b).toString('base64')), weight: 4 }, fc.string({ maxLength: 10 })),
    iterations: fc.oneof(
      { arbitrary: fc.constant('4096'), weight: 4 },
      fc.constantFrom('4095', '1', '0', '-1', '04096', '', 'abc', '4096.0', '1e4', '10000001', '99999999999', ' 4096'),
    ),
    extra: fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, fc.constantFrom(',x=1', ',m=ext', ',e=other-error', ',', ',=', ',v=abc')),
    lead: fc.oneof({ arbitrary: fc.constant(''), weight: 4 }, fc.constantFrom('m=ext,', 'e=invalid-proof,', 'x=1,')),
    mutations: fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, fc.array(mutationArb, { maxLength: 2 })),
  })
  .map(({ nonce, salt, iterations, extra, lead, mutations }) => {
    // Mutate only the nonce and salt parts, so no mutation can ask for millions of iterations.
    const head = mutate(Buffer.from(`${lead}r=${nonce},s=${salt}`, 'utf8'), mutations);
    return Buffer.concat([head, Buffer.from(`,i=${iterations}${extra}`, 'utf8')]);
  });

const challengeArb = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
  bytesArb(60),
  fc.string({ maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
  fc.constantFrom('{"status":"invalid_token"}', '[]', 'null', '{', '"x"', '{"status":', ' {} ', '\ufeff{}', 'v=', 'e=bad', 'v=AAAA').map((s) => Buffer.from(s, 'utf8')),
  serverFirstArb,
);

type Op = { kind: 'initial' } | { kind: 'respond'; challenge: Buffer } | { kind: 'verifyFinal'; data: Buffer };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'initial' }),
  { arbitrary: challengeArb.map((challenge): Op => ({ kind: 'respond', challenge })), weight: 3 },
  challengeArb.map((data): Op => ({ kind: 'verifyFinal', data })),
);

/** Runs an operation: returns normally or throws SaslError; anything else fails the property. */
function apply(client: SaslClient, op: Op): void {
  try {
    if (op.kind === 'initial') {
      const response = client.initialResponse();
      if (response !== undefined) expect(Buffer.isBuffer(response)).toBe(true);
    } else if (op.kind === 'respond') {
      const step = client.respond(op.challenge);
      expect(Buffer.isBuffer(step.response)).toBe(true);
      if (step.serverError !== undefined) expect(typeof step.serverError).toBe('string');
    } else if (client.verifyFinal) {
      client.verifyFinal(op.data);
    }
  } catch (error) {
    if (!(error instanceof SaslError)) throw new Error(`${client.mechanism} ${op.kind} threw ${String(error)}`, { cause: error });
    expect(error.exitCode === 2 || error.exitCode === 12).toBe(true);
  }
}

const serverFinalArb = fc.oneof(
  challengeArb,
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(`v=${Buffer.from(b).toString('base64')}`)),
  fc.constantFrom('v=', 'e=invalid-proof', 'v=!!!!', 'x=1,v=AAAA', 'v=AAAA,e=x').map((t) => Buffer.from(t)),
);

describe('SASL clients on hostile challenges (fuzz)', () => {
  it.each(['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const)('%s: hostile server-first then hostile server-final, in order: a step or a SaslError', (mechanism) => {
    fc.assert(
      fc.property(fc.boolean(), serverFirstArb, serverFinalArb, fc.boolean(), fc.array(challengeArb, { maxLength: 2 }), (initial, first, final, asChallenge, more) => {
        const client = createSaslClient(mechanism, { user: 'user', secret: 'pencil' }, { nonce: () => NONCE });
        apply(client, initial ? { kind: 'initial' } : { kind: 'respond', challenge: Buffer.alloc(0) });
        apply(client, { kind: 'respond', challenge: first });
        apply(client, asChallenge ? { kind: 'respond', challenge: final } : { kind: 'verifyFinal', data: final });
        for (const challenge of more) apply(client, { kind: 'respond', challenge });
      }),
      // Server-firsts that pass every check cost a 4096-round pbkdf2: half the budget.
      budget({ numRuns: Math.max(20, Math.ceil(RUNS / 2)) }),
    );
  });


  it.each(MECHANISM_NAMES)('%s: creating and any sequence of initialResponse/respond/verifyFinal either returns a step or throws SaslError', (mechanism) => {
    fc.assert(
      fc.property(credentialsArb, fc.array(opArb, { maxLength: 5 }), (credentials, ops) => {
        let client: SaslClient;
        try {
          client = createSaslClient(mechanism, credentials, { nonce: () => NONCE });
        } catch (error) {
          expect(error).toBeInstanceOf(SaslError);
          expect((error as SaslError).reason).toBe('INVALID_CREDENTIALS');
          expect((error as SaslError).exitCode).toBe(2);
          return;
        }
        expect(client.mechanism).toBe(mechanism);
        for (const op of ops) apply(client, op);
      }),
      budget({ numRuns: Math.max(20, Math.ceil(RUNS / 2)) }),
    );
  });

  it('an unknown mechanism name is a SaslError (UNSUPPORTED), not a crash', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }).filter((name) => !(MECHANISM_NAMES as readonly string[]).includes(name)), (name) => {
        expect(() => createSaslClient(name as MechanismName, { user: 'u', secret: 's' })).toThrow(SaslError);
      }),
      budget(),
    );
  });
});

// A SCRAM server per RFC 5802 §3, to check the client's proof and that it accepts exactly
// the right server signature.
describe('SCRAM against a reference server (fuzz)', () => {
  const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 10 });
  it.each(['SCRAM-SHA-1', 'SCRAM-SHA-256'] as const)('%s: a correct exchange verifies; any other server signature is refused', (mechanism) => {
    const hash = mechanism === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
    const length = mechanism === 'SCRAM-SHA-1' ? 20 : 32;
    fc.assert(
      fc.property(
        fc.oneof(printable, fc.constantFrom('user', 'a,b=c', 'J\u00fcrgen')),
        fc.oneof(printable, fc.constantFrom('pencil', '\u2168')),
        printable.filter((s) => !s.includes(',')),
        fc.uint8Array({ minLength: 1, maxLength: 16 }),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
        (user, password, serverPart, salt, forged) => {
          const client = createSaslClient(mechanism, { user, secret: password }, { nonce: () => NONCE });
          const clientFirst = client.initialResponse()!.toString('utf8');
          expect(clientFirst.startsWith('n,,n=')).toBe(true);
          const clientFirstBare = clientFirst.slice(3);
          const serverFirst = `r=${NONCE}${serverPart},s=${Buffer.from(salt).toString('base64')},i=4096`;
          const step = client.respond(Buffer.from(serverFirst, 'utf8'));
          const clientFinal = step.response.toString('utf8');
          const [withoutProof, proof] = clientFinal.split(',p=');
          expect(withoutProof).toBe(`c=biws,r=${NONCE}${serverPart}`);
          const hmac = (key: Buffer, data: string) => createHmac(hash, key).update(data).digest();
          const salted = pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), Buffer.from(salt), 4096, length, hash);
          const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
          const clientKey = hmac(salted, 'Client Key');
          const storedKey = createHash(hash).update(clientKey).digest();
          const signature = hmac(storedKey, authMessage);
          const recovered = Buffer.from(Buffer.from(proof!, 'base64').map((b, i) => b ^ signature[i]!));
          expect(createHash(hash).update(recovered).digest().equals(storedKey)).toBe(true);
          const serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
          if (forged === undefined || Buffer.from(forged).equals(serverSignature)) {
            expect(() => client.verifyFinal!(Buffer.from(`v=${serverSignature.toString('base64')}`))).not.toThrow();
          } else {
            expect(() => client.verifyFinal!(Buffer.from(`v=${Buffer.from(forged).toString('base64')}`))).toThrow(SaslError);
          }
        },
      ),
      // pbkdf2 with 4096 rounds twice per case: a quarter of the budget.
      budget({ numRuns: Math.max(10, Math.ceil(RUNS / 4)) }),
    );
  });
});
