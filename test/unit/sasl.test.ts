// SASL mechanisms as pure byte functions: RFC test vectors, exact bytes, and SCRAM failing
// closed against a server that cannot prove it knows the password.
import { describe, expect, it } from 'vitest';
import {
  createSaslClient,
  decodeBase64Strict,
  describeDecoded,
  encodeBase64,
  isMechanismName,
  pickMechanism,
  SaslError,
  toMechanismName,
  type Credentials,
  type MechanismName,
  type SaslClient,
  type SaslErrorReason,
} from '../../src/sasl/index.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const empty = Buffer.alloc(0);

function reason(fn: () => unknown): SaslErrorReason {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SaslError);
    return (error as SaslError).reason;
  }
  throw new Error('expected a SaslError');
}

describe('PLAIN (RFC 4616)', () => {
  it.each<[string, Credentials, Buffer]>([
    ['no authzid', { user: 'tim', secret: 'tanstaaf' }, Buffer.from('\0tim\0tanstaaf', 'latin1')],
    ['authzid', { user: 'admin', secret: 'pw', authzid: 'alice' }, Buffer.from('alice\0admin\0pw', 'latin1')],
    ['@ in the user', { user: 'me@example.org', secret: 'p@ss' }, Buffer.from('\0me@example.org\0p@ss', 'latin1')],
    // Digits next to the NULs stay where they are: user "u1", password "0pass".
    ['digits beside NUL', { user: 'u1', secret: '0pass' }, Buffer.from([0x00, 0x75, 0x31, 0x00, 0x30, 0x70, 0x61, 0x73, 0x73])],
    // ü is C3 BC and € is E2 82 AC in UTF-8.
    ['non-ASCII', { user: 'jürgen', secret: '€uro' }, Buffer.from([0x00, 0x6a, 0xc3, 0xbc, 0x72, 0x67, 0x65, 0x6e, 0x00, 0xe2, 0x82, 0xac, 0x75, 0x72, 0x6f])],
  ])('%s', (_name, credentials, expected) => {
    expect(createSaslClient('PLAIN', credentials).initialResponse()).toEqual(expected);
    // Without SASL-IR the server's empty challenge gets the same bytes.
    const step = createSaslClient('PLAIN', credentials).respond(empty);
    expect(step.response).toEqual(expected);
    expect(step.done).toBe(true);
  });

  it('refuses a challenge after the credentials, and a non-empty first challenge', () => {
    const client = createSaslClient('PLAIN', { user: 'u', secret: 'p' });
    client.initialResponse();
    expect(reason(() => client.respond(empty))).toBe('UNEXPECTED_CHALLENGE');
    expect(reason(() => createSaslClient('PLAIN', { user: 'u', secret: 'p' }).respond(bytes('hi')))).toBe('MALFORMED_CHALLENGE');
  });

  it.each([
    [{ user: 'a\0b', secret: 'p' }],
    [{ user: 'a', secret: 'p\0q' }],
    [{ user: 'a', secret: 'p', authzid: 'z\0' }],
  ])('refuses a NUL inside a field: %j', (credentials) => {
    expect(reason(() => createSaslClient('PLAIN', credentials))).toBe('INVALID_CREDENTIALS');
  });

  it('a SaslError is a usage error for the user\'s input and AUTH_FAILED for the server\'s', () => {
    const caught = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error as SaslError;
      }
      throw new Error('expected a SaslError');
    };
    expect(caught(() => createSaslClient('PLAIN', { user: 'a\0', secret: 'p' }))).toMatchObject({ code: 'USAGE', exitCode: 2 });
    expect(caught(() => createSaslClient('CRAM-MD5', { user: 'a', secret: 'p' }).respond(empty))).toMatchObject({ code: 'AUTH_FAILED' });
  });
});

describe('LOGIN', () => {
  it.each([
    ['Username:', 'Password:'],
    // Answered by order, not by wording: a server that says it differently still works.
    ['Password:', 'Username:'],
    ['', ''],
  ])('%j then %j', (first, second) => {
    const client = createSaslClient('LOGIN', { user: 'me@example.org', secret: 'sécret' });
    expect(client.initialResponse()).toBeUndefined();
    const one = client.respond(bytes(first));
    expect(one.response).toEqual(bytes('me@example.org'));
    expect(one.done).toBe(false);
    const two = client.respond(bytes(second));
    expect(two.response).toEqual(bytes('sécret'));
    expect(two.done).toBe(true);
    expect(reason(() => client.respond(bytes('Username:')))).toBe('UNEXPECTED_CHALLENGE');
  });

  it('has no way to carry an authzid', () => {
    expect(reason(() => createSaslClient('LOGIN', { user: 'u', secret: 'p', authzid: 'z' }))).toBe('INVALID_CREDENTIALS');
  });
});

describe('CRAM-MD5 (RFC 2195)', () => {
  it('answers the RFC 2195 §2 example', () => {
    const client = createSaslClient('CRAM-MD5', { user: 'tim', secret: 'tanstaaftanstaaf' });
    expect(client.initialResponse()).toBeUndefined();
    const challenge = decodeBase64Strict('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+')!;
    expect(challenge.toString()).toBe('<1896.697170952@postoffice.reston.mci.net>');
    const step = client.respond(challenge);
    expect(step.response.toString()).toBe('tim b913a602c7eda7a495b4e6e7334d3890');
    expect(encodeBase64(step.response)).toBe('dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw');
    expect(step.done).toBe(true);
    expect(reason(() => client.respond(challenge))).toBe('UNEXPECTED_CHALLENGE');
  });

  it('accepts a printable challenge that is not a msg-id', () => {
    const step = createSaslClient('CRAM-MD5', { user: 'u', secret: 'p' }).respond(bytes('just some text'));
    expect(step.response.toString()).toMatch(/^u [0-9a-f]{32}$/);
  });

  it.each([
    ['empty', empty],
    ['NUL', Buffer.from('<1@x>\0', 'latin1')],
    ['CR LF', bytes('<1@x>\r\n')],
    ['high bytes', Buffer.from([0x3c, 0xff, 0xfe, 0x3e])],
    ['UTF-8', bytes('<ü@x>')],
  ])('rejects a %s challenge', (_name, challenge) => {
    expect(reason(() => createSaslClient('CRAM-MD5', { user: 'u', secret: 'p' }).respond(challenge))).toBe('MALFORMED_CHALLENGE');
  });
});

interface ScramVector {
  mechanism: MechanismName;
  nonce: string;
  clientFirst: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const SCRAM_VECTORS: ScramVector[] = [
  {
    // RFC 5802 §5
    mechanism: 'SCRAM-SHA-1',
    nonce: 'fyko+d2lbbFgONRv9qkxdawL',
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    // RFC 7677 §3
    mechanism: 'SCRAM-SHA-256',
    nonce: 'rOprNGfwEbeRWgbNEkqO',
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

const scram = (vector: ScramVector, credentials: Partial<Credentials> = {}) =>
  createSaslClient(vector.mechanism, { user: 'user', secret: 'pencil', ...credentials }, { nonce: () => vector.nonce });

/** A client that has sent its proof, waiting for the server-final message. */
function afterProof(vector: ScramVector): SaslClient {
  const client = scram(vector);
  client.initialResponse();
  client.respond(bytes(vector.serverFirst));
  return client;
}

describe.each(SCRAM_VECTORS)('$mechanism RFC example', (vector) => {
  it('sends the RFC messages, with SASL-IR', () => {
    const client = scram(vector);
    expect(client.initialResponse()!.toString()).toBe(vector.clientFirst);
    const step = client.respond(bytes(vector.serverFirst));
    expect(step.response.toString()).toBe(vector.clientFinal);
    expect(step.done).toBe(true);
    // Server-final in the success reply (IMAP/ManageSieve style).
    expect(() => client.verifyFinal!(bytes(vector.serverFinal))).not.toThrow();
  });

  it('without SASL-IR: empty challenge, then server-final as a last challenge answered empty', () => {
    const client = scram(vector);
    const first = client.respond(empty);
    expect(first.response.toString()).toBe(vector.clientFirst);
    expect(first.done).toBeFalsy();
    expect(client.respond(bytes(vector.serverFirst)).response.toString()).toBe(vector.clientFinal);
    const last = client.respond(bytes(vector.serverFinal));
    expect(last.response).toEqual(empty);
    expect(last.done).toBe(true);
    expect(reason(() => client.respond(empty))).toBe('UNEXPECTED_CHALLENGE');
  });

  it('escapes , and = in the user name and sends an authzid in the GS2 header', () => {
    const client = scram(vector, { user: 'a,b=c', authzid: 'x=y' });
    expect(client.initialResponse()!.toString()).toBe(`n,a=x=3Dy,n=a=2Cb=3Dc,r=${vector.nonce}`);
    // c= carries the same GS2 header.
    const final = client.respond(bytes(vector.serverFirst)).response.toString();
    expect(final.startsWith(`c=${encodeBase64('n,a=x=3Dy,')},r=`)).toBe(true);
  });

  it.each<[string, (v: ScramVector) => string, SaslErrorReason]>([
    ['a wrong server signature', (v) => `v=${Buffer.alloc(v.mechanism === 'SCRAM-SHA-1' ? 20 : 32).toString('base64')}`, 'BAD_SERVER_SIGNATURE'],
    ['a truncated server signature', (v) => v.serverFinal.slice(0, 10) + '==', 'BAD_SERVER_SIGNATURE'],
    ['a signature that is not base64', () => 'v=!!!!', 'BAD_SERVER_SIGNATURE'],
    ['no v=', () => 'x=1', 'MISSING_SERVER_SIGNATURE'],
    ['e=invalid-proof', () => 'e=invalid-proof', 'SERVER_ERROR'],
    ['garbage bytes', () => '\u0000\u00ff\u0001', 'MALFORMED_CHALLENGE'],
  ])('server-final with %s fails closed', (_name, serverFinal, expected) => {
    expect(reason(() => afterProof(vector).verifyFinal!(bytes(serverFinal(vector))))).toBe(expected);
    expect(reason(() => afterProof(vector).respond(bytes(serverFinal(vector))))).toBe(expected);
  });

  it('an empty server-final has no signature', () => {
    expect(reason(() => afterProof(vector).verifyFinal!(empty))).toBe('MISSING_SERVER_SIGNATURE');
  });

  it('stays failed after a bad signature', () => {
    const client = afterProof(vector);
    reason(() => client.verifyFinal!(bytes('v=AAAA')));
    expect(reason(() => client.verifyFinal!(bytes(vector.serverFinal)))).toBe('UNEXPECTED_CHALLENGE');
  });

  it('refuses success before the proof was sent', () => {
    const client = scram(vector);
    client.initialResponse();
    expect(reason(() => client.verifyFinal!(bytes(vector.serverFinal)))).toBe('MISSING_SERVER_SIGNATURE');
  });

  const [r, s, i] = vector.serverFirst.split(',');
  it.each<[string, string, SaslErrorReason]>([
    ['a server nonce not starting with the client nonce', `r=X${r!.slice(3)},${s},${i}`, 'BAD_SERVER_NONCE'],
    ['the client nonce echoed without a server part', `r=${vector.nonce},${s},${i}`, 'BAD_SERVER_NONCE'],
    ['iteration count 1000', `${r},${s},i=1000`, 'DOWNGRADE'],
    ['iteration count 4095', `${r},${s},i=4095`, 'DOWNGRADE'],
    ['an iteration count that is not a number', `${r},${s},i=4096x`, 'MALFORMED_CHALLENGE'],
    ['an absurd iteration count', `${r},${s},i=4000000000`, 'MALFORMED_CHALLENGE'],
    ['salt that is not base64', `${r},s=QSXC!+Q6sek8bf92,${i}`, 'MALFORMED_CHALLENGE'],
    ['an empty salt', `${r},s=,${i}`, 'MALFORMED_CHALLENGE'],
    ['attributes out of order', `${s},${r},${i}`, 'MALFORMED_CHALLENGE'],
    ['a missing iteration count', `${r},${s}`, 'MALFORMED_CHALLENGE'],
    ['a mandatory extension', `m=ext,${r},${s},${i}`, 'UNSUPPORTED_EXTENSION'],
    ['e=', 'e=other-error', 'SERVER_ERROR'],
    ['garbage bytes', '\u00ff\u00fe\u0000garbage', 'MALFORMED_CHALLENGE'],
    ['an empty challenge', '', 'MALFORMED_CHALLENGE'],
  ])('server-first with %s is refused', (_name, serverFirst, expected) => {
    const client = scram(vector);
    client.initialResponse();
    const challenge = serverFirst.startsWith('\u00ff') ? Buffer.from([0xff, 0xfe, 0x00, 0x67]) : bytes(serverFirst);
    expect(reason(() => client.respond(challenge))).toBe(expected);
    // Nothing more is answered once the exchange failed.
    expect(reason(() => client.respond(bytes(vector.serverFirst)))).toBe('UNEXPECTED_CHALLENGE');
  });

  it('says "downgrade" when refusing a low iteration count', () => {
    const client = scram(vector);
    client.initialResponse();
    expect(() => client.respond(bytes(`${r},${s},i=1000`))).toThrow(/downgrade/);
  });

  it('refuses a non-empty first challenge', () => {
    expect(reason(() => scram(vector).respond(bytes('r=abc')))).toBe('MALFORMED_CHALLENGE');
  });
});

describe('SCRAM nonce and normalisation', () => {
  it('makes a fresh random nonce per client', () => {
    const nonce = (client: SaslClient) => /,r=([^,]+)$/.exec(client.initialResponse()!.toString())![1]!;
    const a = nonce(createSaslClient('SCRAM-SHA-256', { user: 'u', secret: 'p' }));
    const b = nonce(createSaslClient('SCRAM-SHA-256', { user: 'u', secret: 'p' }));
    expect(a).toMatch(/^[A-Za-z0-9+/=]{32}$/);
    expect(a).not.toBe(b);
  });

  it('normalises the password with NFKC (approximating SASLprep)', () => {
    const vector = SCRAM_VECTORS[1]!;
    // U+FF50 FULLWIDTH p normalises to "p", so "ｐencil" proves the same as "pencil".
    const client = scram(vector, { secret: '\uff50encil' });
    client.initialResponse();
    expect(client.respond(bytes(vector.serverFirst)).response.toString()).toBe(vector.clientFinal);
  });
});

describe('XOAUTH2 and OAUTHBEARER', () => {
  it('XOAUTH2 sends user=…^Aauth=Bearer …^A^A', () => {
    const client = createSaslClient('XOAUTH2', { user: 'someuser@example.com', secret: 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg' });
    const ir = client.initialResponse()!;
    expect(ir).toEqual(bytes('user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01'));
    // Google's documented example.
    expect(encodeBase64(ir)).toBe(
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });

  it('OAUTHBEARER sends the RFC 7628 §4.1 message', () => {
    const client = createSaslClient('OAUTHBEARER', { user: 'user@example.com', secret: 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==', host: 'server.example.com', port: 143 });
    expect(client.initialResponse()).toEqual(
      bytes('n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01'),
    );
  });

  it('OAUTHBEARER leaves out host and port when unknown, and escapes the user', () => {
    const client = createSaslClient('OAUTHBEARER', { user: 'a,b', secret: 't' });
    expect(client.initialResponse()).toEqual(bytes('n,a=a=2Cb,\x01auth=Bearer t\x01\x01'));
  });

  const failure = bytes('{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}');
  it.each<[MechanismName, Buffer]>([
    ['OAUTHBEARER', Buffer.from([0x01])],
    ['XOAUTH2', empty],
  ])('%s answers the JSON error challenge and is done', (mechanism, answer) => {
    const client = createSaslClient(mechanism, { user: 'u@example.com', secret: 'tok' });
    client.initialResponse();
    const step = client.respond(failure);
    expect(step.response).toEqual(answer);
    expect(step.done).toBe(true);
    expect(step.serverError).toContain('invalid_token');
    expect(reason(() => client.respond(failure))).toBe('UNEXPECTED_CHALLENGE');
  });

  it.each<MechanismName>(['XOAUTH2', 'OAUTHBEARER'])('%s: empty challenge first without SASL-IR; garbage error refused', (mechanism) => {
    const client = createSaslClient(mechanism, { user: 'u', secret: 'tok' });
    expect(client.respond(empty).response.toString()).toContain('auth=Bearer tok\x01\x01');
    expect(reason(() => client.respond(Buffer.from([0xff, 0x00])))).toBe('MALFORMED_CHALLENGE');
  });

  it.each<[MechanismName, Credentials]>([
    ['XOAUTH2', { user: 'u\x01auth=Bearer x', secret: 'tok' }],
    ['XOAUTH2', { user: 'u', secret: 'tok en' }],
    ['XOAUTH2', { user: 'u', secret: 'token\n' }],
    ['XOAUTH2', { user: 'u', secret: 'tok', authzid: 'z' }],
    ['OAUTHBEARER', { user: 'u', secret: '' }],
    ['OAUTHBEARER', { user: 'u', secret: 'tok', host: 'h\x01' }],
    ['OAUTHBEARER', { user: 'u', secret: 'tok', port: 70000 }],
  ])('%s refuses %j', (mechanism, credentials) => {
    expect(reason(() => createSaslClient(mechanism, credentials))).toBe('INVALID_CREDENTIALS');
  });
});

describe('choosing a mechanism', () => {
  it.each<[string[], MechanismName | undefined]>([
    [['PLAIN', 'LOGIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'CRAM-MD5'], 'SCRAM-SHA-256'],
    [['LOGIN', 'PLAIN', 'SCRAM-SHA-1'], 'SCRAM-SHA-1'],
    [['LOGIN', 'PLAIN', 'CRAM-MD5'], 'CRAM-MD5'],
    [['LOGIN', 'PLAIN'], 'PLAIN'],
    [['login'], 'LOGIN'],
    [['plain', 'scram-sha-256'], 'SCRAM-SHA-256'],
    // OAuth needs a token, so only when named; -PLUS needs channel binding.
    [['XOAUTH2', 'OAUTHBEARER'], undefined],
    [['SCRAM-SHA-256-PLUS', 'GSSAPI', 'PLAIN'], 'PLAIN'],
    [[], undefined],
  ])('%j → %s', (offered, expected) => {
    expect(pickMechanism(offered)).toBe(expected);
  });

  it.each<[string, MechanismName | undefined]>([
    ['plain', 'PLAIN'],
    ['Scram-Sha-256', 'SCRAM-SHA-256'],
    ['cram-md5', 'CRAM-MD5'],
    ['xoauth2', 'XOAUTH2'],
    ['OAuthBearer', 'OAUTHBEARER'],
    ['scram-sha-256-plus', undefined],
    ['user@example.org', undefined],
    ['', undefined],
  ])('%j names %s', (word, expected) => {
    expect(toMechanismName(word)).toBe(expected);
    expect(isMechanismName(word)).toBe(expected !== undefined);
  });
});

describe('strict base64', () => {
  it.each<[string, string | undefined]>([
    ['VXNlcm5hbWU6', 'Username:'],
    ['UGFzc3dvcmQ6', 'Password:'],
    ['', ''],
    ['QQ==', 'A'],
    ['QUI=', 'AB'],
    ['!!!!', undefined],
    ['abc', undefined],
    ['ab=c', undefined],
    ['a===', undefined],
    ['VXNl cm5hbWU6', undefined],
    ['VXNlcm5h\nbWU6', undefined],
    [' VXNlcm5hbWU6', undefined],
    ['VXNlcm5hbWU6\r', undefined],
    ['VXNlcm5hbWU-', undefined],
    // Non-zero padding bits: decodes to "A" too, but is not canonical.
    ['QR==', undefined],
  ])('%j → %j', (text, expected) => {
    const decoded = decodeBase64Strict(text);
    expect(decoded === undefined ? undefined : decoded.toString('utf8')).toBe(expected);
  });

  it('encodes strings as UTF-8 and buffers as they are', () => {
    expect(encodeBase64('ü')).toBe('w7w=');
    expect(encodeBase64(Buffer.from([0, 255]))).toBe('AP8=');
    expect(encodeBase64('')).toBe('');
  });

  it.each<[string, Buffer, ReturnType<typeof describeDecoded>]>([
    ['text', bytes('Username:'), { kind: 'text', text: 'Username:' }],
    ['text with a tab', bytes('a\tb'), { kind: 'text', text: 'a\tb' }],
    ['UTF-8 text', bytes('Benutzername für'), { kind: 'text', text: 'Benutzername für' }],
    ['empty', empty, { kind: 'text', text: '' }],
    ['NUL', Buffer.from([0x00, 0x1a, 0xff]), { kind: 'binary', hex: '00 1a ff' }],
    ['a line break', bytes('a\nb'), { kind: 'binary', hex: '61 0a 62' }],
    ['invalid UTF-8', Buffer.from([0x41, 0xc3]), { kind: 'binary', hex: '41 c3' }],
    ['a C1 control', bytes('a\u0085'), { kind: 'binary', hex: '61 c2 85' }],
  ])('describes %s', (_name, input, expected) => {
    expect(describeDecoded(input)).toEqual(expected);
  });

  it('caps the hex at 64 bytes', () => {
    const { hex } = describeDecoded(Buffer.alloc(100)) as { kind: 'binary'; hex: string };
    expect(hex).toBe(`${Array(64).fill('00').join(' ')} …`);
    expect((describeDecoded(Buffer.alloc(64)) as { hex: string }).hex.endsWith('…')).toBe(false);
  });
});
