// Escaping of server bytes, the JSON writer, colour rules, and the formatting of the
// certificate and load reports and of notes and warnings.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { escapeBytes, escapeText, mustEscape } from '../../src/terminal/escape.js';
import { jsonDocument } from '../../src/terminal/json.js';
import { formatLoadReport, loadJson, type LoadSummary } from '../../src/load/report.js';
import { Printer } from '../../src/terminal/printer.js';
import { colourLevel, palette } from '../../src/terminal/style.js';
import { formatBriefTls, formatTlsReport } from '../../src/terminal/tlsReport.js';
import { describeCertificate } from '../../src/transport/certificate.js';
import { signatureAlgorithm } from '../../src/transport/der.js';
import { judgeCertificate } from '../../src/transport/verify.js';
import type { TlsInfo } from '../../src/transport/handshake.js';
import { X509Certificate } from 'node:crypto';
import { testPki } from '../support/pkiOnce.js';
import fc from 'fast-check';
import { counted, grouped } from '../../src/terminal/numbers.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('escapeBytes', () => {
  it.each([
    [bytes('plain text, tabs\tok'), 'plain text, tabs\tok'],
    [bytes('esc', [0x1b], '[31m'), 'esc\\e[31m'],
    [bytes('bell', [7], 'bs', [8], 'nul', [0], 'del', [0x7f]), 'bell\\abs\\bnul\\0del\\x7f'],
    [bytes('cr', [13], 'lf', [10]), 'cr\\rlf\\n'],
    [bytes('caf\u00e9 \u4e2d\u6587 \u{1f600}'), 'caf\u00e9 \u4e2d\u6587 \u{1f600}'],
    [bytes('c1', [0xc2, 0x9b], '2J'), 'c1\\u{9b}2J'],
    [bytes('bidi \u202e evil \u2066 iso \u200b zw \ufeff'), 'bidi \\u{202e} evil \\u{2066} iso \\u{200b} zw \\u{feff}'],
    [bytes('bad', [0xff, 0xc0, 0xaf], 'lone', [0xe2, 0x82], '!'), 'bad\\xff\\xc0\\xaflone\\xe2\\x82!'],
    [bytes('overlong', [0xe0, 0x80, 0xaf], 'surrogate', [0xed, 0xa0, 0x80]), 'overlong\\xe0\\x80\\xafsurrogate\\xed\\xa0\\x80'],
    [bytes('c1 raw', [0x9b]), 'c1 raw\\x9b'],
  ])('%j', (input, shown) => {
    expect(escapeBytes(input)).toBe(shown);
  });

  it('marks each escape with the styler so it cannot pass for text', () => {
    expect(escapeBytes(bytes('a', [0x1b], 'b'), (s) => `<${s}>`)).toBe('a<\\e>b');
    expect(escapeText('CN=evil\u001b]0;x\u0007')).toBe('CN=evil\\e]0;x\\a');
  });
});

/** [what, code point]: each must be shown as \u{...}, in both escapers and in JSON. */
const ESCAPED: [string, number][] = [
  // Named in the reports that started this list.
  ...[0xe0000, 0xe0001, 0xe0020, 0xe0041, 0xe007f].map((cp): [string, number] => ['tag character', cp]),
  ['soft hyphen', 0xad],
  ...[0x115f, 0x1160, 0x3164, 0xffa0].map((cp): [string, number] => ['Hangul filler', cp]),
  ['combining grapheme joiner', 0x34f],
  ['Mongolian vowel separator', 0x180e],
  ...[0x17b4, 0x17b5].map((cp): [string, number] => ['Khmer inherent vowel', cp]),
  ['invisible plus', 0x2064],
  ...[0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f].map((cp): [string, number] => ['deprecated format character', cp]),
  ...[0xfe00, 0xfe0e, 0xfe0f, 0xe0100, 0xe01ef].map((cp): [string, number] => ['variation selector', cp]),
  ...[0x1bca0, 0x1bca1, 0x1bca2, 0x1bca3].map((cp): [string, number] => ['shorthand format control', cp]),
  ...[0x1d173, 0x1d174, 0x1d175, 0x1d176, 0x1d177, 0x1d178, 0x1d179, 0x1d17a].map((cp): [string, number] => ['musical format control', cp]),
  ...[0xfff0, 0xfff4, 0xfff8].map((cp): [string, number] => ['reserved default-ignorable', cp]),
  ...[0xfdd0, 0xfdef, 0xfffe, 0xffff, 0x1fffe, 0x10ffff].map((cp): [string, number] => ['noncharacter', cp]),
  ...[0xe000, 0xf8ff, 0xf0000, 0x10fffd].map((cp): [string, number] => ['private use', cp]),
  // Kept from before.
  ...[0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x061c, 0xfeff, 0x2060, 0xfff9].map((cp): [string, number] => ['zero-width or mark', cp]),
  ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069].map((cp): [string, number] => ['bidi control', cp]),
  // One or more from each class of the definition.
  ...[0x80, 0x85, 0x9b, 0x9f].map((cp): [string, number] => ['Cc (C1 control)', cp]),
  ...[0x600, 0x6dd, 0x70f, 0x8e2, 0x110bd, 0x13430].map((cp): [string, number] => ['Cf (prepended or hieroglyph format)', cp]),
  ['Zl line separator', 0x2028],
  ['Zp paragraph separator', 0x2029],
  ...[0x378, 0x2065, 0x50000, 0xeffff].map((cp): [string, number] => ['Cn (unassigned)', cp]),
  ...[0x180b, 0x180f].map((cp): [string, number] => ['Default_Ignorable letter or mark', cp]),
];

/** Text in any script, emoji and spaces: shown as it is. */
const SHOWN = [
  'caf\u00e9 na\u0303o',
  'e\u0301 (a combining accent)',
  '\u00ff \u00d8 \u00df \u0153',
  '\u4e2d\u6587 \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4',
  '\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627',
  '\u041f\u0440\u0438\u0432\u0435\u0442 \u0395\u03bb\u03bb\u03ac\u03b4\u03b1',
  '\u{1f600} \u{1f44d}\u{1f3fd} \u{1f1e9}\u{1f1ea} \u2764',
  'no-break\u00a0space, ideographic\u3000space, em\u2003space',
  '\u20ac \u2026 \u2192 \u2713 \ufffd \ud800\udc00',
];

const hex = (cp: number) => cp.toString(16);
/** JSON's escape for a code point: \uXXXX, or a surrogate pair of them. */
const jsonEscape = (cp: number) => String.fromCodePoint(cp).split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');

describe('invisible, format and meaningless code points', () => {
  it.each(ESCAPED.map(([what, cp]) => [`U+${hex(cp).toUpperCase()}`, what, cp] as const))('%s (%s) is escaped', (_name, _what, cp) => {
    const raw = String.fromCodePoint(cp);
    const input = `a${raw}b`;
    expect(mustEscape(cp)).toBe(true);
    expect(escapeBytes(Buffer.from(input, 'utf8'))).toBe(`a\\u{${hex(cp)}}b`);
    expect(escapeText(input)).toBe(`a\\u{${hex(cp)}}b`);
    expect(escapeText(input, (e) => `<${e}>`)).toBe(`a<\\u{${hex(cp)}}>b`);
    const json = jsonDocument({ [`k${raw}`]: [`v${raw}`] });
    expect(json).not.toContain(raw);
    expect(json).toContain(`"k${jsonEscape(cp)}"`);
    expect(json).toContain(`"v${jsonEscape(cp)}"`);
    expect(JSON.parse(json)).toEqual({ [`k${raw}`]: [`v${raw}`] });
  });

  it.each(SHOWN)('%s is shown as it is', (text) => {
    expect(escapeBytes(Buffer.from(text, 'utf8'))).toBe(text);
    expect(escapeText(text)).toBe(text);
    expect(jsonDocument({ text })).toBe(JSON.stringify({ text }, null, 2));
  });

  it('shows a lone surrogate in a string as its escape, not as U+FFFD', () => {
    expect(escapeText('a\ud800b\udfffc\ud83d')).toBe('a\\u{d800}b\\u{dfff}c\\u{d83d}');
    expect(escapeText('\udc00\u{1f600}\ud800', (e) => `<${e}>`)).toBe('<\\u{dc00}>\u{1f600}<\\u{d800}>');
  });

  it('escapes a code point the same wherever it falls in a run of shown text', () => {
    const run = '\u00e9\u4e2d\u{1f600}';
    expect(escapeBytes(Buffer.from(`${run}\u00ad${run}\u2028${run}\x1b${run}`, 'utf8'))).toBe(`${run}\\u{ad}${run}\\u{2028}${run}\\e${run}`);
    expect(escapeBytes(Buffer.concat([Buffer.from(run), Buffer.from([0xe2, 0x80]), Buffer.from(run)]))).toBe(`${run}\\xe2\\x80${run}`);
  });
});

describe('jsonDocument', () => {
  it('writes what JSON.stringify writes, pretty-printed, when nothing needs escaping', () => {
    const value = { a: 1, b: ['x', null, true], c: { d: 'caf\u00e9 \u4e2d \u{1f600}', e: 'tab\tand\nnewline \x1b[2J' } };
    expect(jsonDocument(value)).toBe(JSON.stringify(value, null, 2));
    expect(jsonDocument(value, 0)).toBe(JSON.stringify(value));
  });

  it.each([
    ['U+2028 and U+2029', 'a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ['C1 controls', 'csi\u009b2J nel\u0085', '"csi\\u009b2J nel\\u0085"'],
    ['DEL, which JSON.stringify writes raw', 'del\x7f', '"del\\u007f"'],
    ['bidi override and isolate', 'txt\u202eexe\u2066', '"txt\\u202eexe\\u2066"'],
    ['an astral tag character, as a surrogate pair', 'flag\u{e0067}', '"flag\\udb40\\udc67"'],
    ['a lone surrogate (JSON.stringify escapes it already)', 'lone\ud800', '"lone\\ud800"'],
    ['private use in plane 16', '\u{10fffd}', '"\\udbff\\udffd"'],
  ])('%s', (_what, text, written) => {
    const json = jsonDocument({ text });
    expect(json).toBe(`{\n  "text": ${written}\n}`);
    expect(JSON.parse(json)).toEqual({ text });
  });

  it('refuses a value that has no JSON form rather than writing "undefined"', () => {
    expect(() => jsonDocument(undefined)).toThrow(TypeError);
  });
});

function summary(overrides: Partial<LoadSummary>): LoadSummary {
  const latency = { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  return {
    target: 'mx.test:25',
    mode: 'plain',
    protocol: 'smtp',
    connections: 1,
    accepted: 0,
    tempFailed: 0,
    rejected: 1,
    failureCodes: {},
    failureReplies: {},
    connectionsOpened: 1,
    connectionsFailed: 1,
    dialogue: { pipelining: false, bdat: false, rsetBetweenMessages: true, pipelinedConnections: 0, bdatConnections: 0 },
    connectionErrors: {},
    bytesSent: 0,
    elapsedMs: 1000,
    acceptedPerSecond: 0,
    sentPerSecond: 0,
    bytesPerSecond: 0,
    interrupted: false,
    latencyMs: { connect: latency, tls: latency, message: latency },
    ...overrides,
  };
}

describe('the load report', () => {
  const hostile = summary({
    target: 'mx\u202e.test:25',
    failureCodes: { '55\u20280': 1 },
    failureReplies: { '55\u20280': '55\u20280 5.7.1 \x1b[2Jno\u202e' },
    connectionErrors: { 'the server greeted with 554 \x1b]0;pwned\x07\u0085\u00ad\u202eevil': 3 },
  });

  it('escapes the connection errors, failure codes, their replies and target in the text report', () => {
    const text = formatLoadReport(hostile).join('\n');
    expect(text).toContain('load: mx\\u{202e}.test:25 (plain smtp)');
    expect(text).toContain('  1 \u00d7 55\\u{2028}0 5.7.1 \\e[2Jno\\u{202e}');
    expect(text).toContain('  3 \u00d7 the server greeted with 554 \\e]0;pwned\\a\\u{85}\\u{ad}\\u{202e}evil');
    expect(RAW.test(text.replaceAll('\n', ''))).toBe(false);
  });

  it('--json keeps them exactly, written with \\u escapes', () => {
    const json = loadJson(hostile);
    expect(json).toContain('"the server greeted with 554 \\u001b]0;pwned\\u0007\\u0085\\u00ad\\u202eevil": 3');
    expect(RAW.test(json.replaceAll('\n', ''))).toBe(false);
    expect(JSON.parse(json)).toEqual(hostile);
  });
});

/** Any code point the escapers must not write raw (the definition, written out again). */
const RAW = /[\p{C}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

describe('Printer: notes, results and warnings escape their text', () => {
  function printer(level: 0 | 1) {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (into: string[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(String(chunk)), done()) });
    return { p: new Printer(sink(out), sink(err), palette(level)), out, err };
  }
  const HOSTILE = 'NO \x1b]0;pwned\x07 quota\u202e\u2028\u00ad\nnext';

  it.each([
    ['note', 'out', '-- NO \\e]0;pwned\\a quota\\u{202e}\\u{2028}\\u{ad}\\nnext\n'],
    ['result', 'out', '-- NO \\e]0;pwned\\a quota\\u{202e}\\u{2028}\\u{ad}\\nnext\n'],
    ['warn', 'err', 'mailprobe: warning: NO \\e]0;pwned\\a quota\\u{202e}\\u{2028}\\u{ad}\\nnext\n'],
  ] as const)('%s', (method, stream, shown) => {
    const plain = printer(0);
    plain.p[method](HOSTILE);
    expect(plain[stream].join('')).toBe(shown);
    // In colour, each escape is marked (inverse video) and the only ESC bytes are SGR codes.
    const coloured = printer(1);
    coloured.p[method](HOSTILE);
    const written = coloured[stream].join('');
    expect(written).toContain('\x1b[7m\\e\x1b[27m]0;pwned');
    expect([...written.matchAll(/\x1b(\[[0-9;]*m)?/g)].every((m) => m[1] !== undefined)).toBe(true);
  });
});

describe('colourLevel', () => {
  it.each([
    [{}, true, 1],
    [{}, false, 0],
    [{ NO_COLOR: '1' }, true, 0],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, false, 0],
    [{ FORCE_COLOR: '1' }, false, 1],
    [{ FORCE_COLOR: '3' }, false, 3],
    [{ FORCE_COLOR: '0' }, true, 0],
    [{ TERM: 'dumb' }, true, 0],
    [{ TERM: 'xterm-256color' }, true, 2],
  ])('%j on a tty=%s → %i', (env, tty, level) => {
    expect(colourLevel(env as NodeJS.ProcessEnv, tty)).toBe(level);
  });
});

describe('certificates', () => {
  it('reads the signature algorithm that Node does not expose', () => {
    const pki = testPki();
    const der = (pem: string) => new X509Certificate(pem).raw;
    expect(signatureAlgorithm(der(pki.leaf.certPem))).toBe('sha256WithRSAEncryption');
    expect(signatureAlgorithm(der(pki.sha1.certPem))).toBe('sha1WithRSAEncryption');
    expect(signatureAlgorithm(der(pki.ecdsa.certPem))).toBe('sha256WithRSAEncryption'); // signed by the RSA CA
    expect(signatureAlgorithm(Buffer.from('not der'))).toBeUndefined();
  });

  it('describes keys, validity and days left', () => {
    const pki = testPki();
    const leaf = describeCertificate(new X509Certificate(pki.leaf.certPem).raw);
    expect(leaf).toMatchObject({ subject: 'CN=localhost', issuer: 'CN=mailprobe Test CA', keyType: 'RSA', keyBits: 2048, isCa: false });
    expect(leaf.daysLeft).toBeGreaterThanOrEqual(28);
    const ec = describeCertificate(new X509Certificate(pki.ecdsa.certPem).raw);
    expect(ec).toMatchObject({ keyType: 'EC', keyCurve: 'prime256v1', keyBits: 256 });
    const weak = describeCertificate(new X509Certificate(pki.weakRsa1024.certPem).raw);
    expect(weak.keyBits).toBe(1024);
    const expired = describeCertificate(new X509Certificate(pki.expired.certPem).raw);
    expect(expired.daysLeft).toBeLessThan(-28);
  });

  function infoFor(pem: string, verdict: TlsInfo['verdict']): TlsInfo {
    return {
      protocol: 'TLSv1.3',
      cipher: 'TLS_AES_256_GCM_SHA384',
      keyExchange: 'X25519, 253 bits',
      sni: 'mx.test',
      chain: [describeCertificate(new X509Certificate(pem).raw)],
      ocspStapled: false,
      session: { offered: false, resumed: false },
      verdict,
    };
  }

  it('formats the report with expiry and weakness highlighted, escaping hostile fields', () => {
    const pki = testPki();
    const p = palette(0);
    const expired = formatTlsReport(infoFor(pki.expired.certPem, { verified: false, name: 'localhost', reasons: ['expired on 2026-10-25 (30 days ago)'] }), p).join('\n');
    expect(expired).toMatch(/valid {8}\d{4}-\d\d-\d\d \d\d:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d UTC \(EXPIRED \d+ days ago\)/);
    expect(expired).toMatch(/NOT verified:\n  - expired on/);
    const weak = formatTlsReport(infoFor(pki.weakRsa1024.certPem, { verified: true, name: 'localhost' }), p).join('\n');
    expect(weak).toContain('key          RSA 1024 bits (weak)');
    const sha1 = formatTlsReport(infoFor(pki.sha1.certPem, { verified: true, name: 'localhost' }), p).join('\n');
    expect(sha1).toContain('signature    sha1WithRSAEncryption (weak)');
    const soon = formatTlsReport(infoFor(pki.soonExpiring.certPem, { verified: true, name: 'localhost' }), palette(1)).join('\n');
    expect(soon).toMatch(/\x1b\[33m\((4|5) days left\)/); // highlighted under 14 days
    const info = infoFor(pki.leaf.certPem, { verified: true, name: 'localhost' });
    info.chain[0].subject = 'CN=evil\u001b[2J';
    expect(formatTlsReport(info, p).join('\n')).toContain('subject      CN=evil\\e[2J');
    expect(formatBriefTls(info, p)).toMatch(/^TLS TLSv1\.3 TLS_AES_256_GCM_SHA384 X25519, 253 bits, cert CN=evil\\e\[2J, \d+ days left, verified$/);
  });

  it('says "1 certificate" for a chain of one, and escapes every field the server chose', () => {
    const p = palette(0);
    const info = infoFor(testPki().leaf.certPem, { verified: true, name: 'localhost' });
    expect(formatTlsReport(info, p).join('\n')).toMatch(/^Chain \(1 certificate\)$/m);
    info.cipher = 'TLS_\u202eEVIL';
    info.chain[0].serialNumber = '0A\u0007';
    const text = formatTlsReport(info, p).join('\n');
    expect(text).toContain('cipher       TLS_\\u{202e}EVIL');
    expect(text).toContain('serial       0A\\a');
  });

  it('judges every reason a certificate fails, naming the names it holds', () => {
    const pki = testPki();
    const peer = (pem: string) => {
      const x = new X509Certificate(pem);
      return { raw: x.raw, subject: { CN: 'mail.other.test' }, subjectaltname: x.subjectAltName } as never;
    };
    const wrong = describeCertificate(new X509Certificate(pki.wrongHost.certPem).raw);
    const verdict = judgeCertificate(undefined, peer(pki.wrongHost.certPem), [wrong], 'localhost');
    expect(verdict).toEqual({
      verified: false,
      name: 'localhost',
      reasons: ['hostname mismatch: the certificate is not for "localhost"; it holds DNS:mail.other.test, DNS:other.test'],
    });
    const leaf = describeCertificate(new X509Certificate(pki.selfSigned.certPem).raw);
    const selfSigned = judgeCertificate('DEPTH_ZERO_SELF_SIGNED_CERT', peer(pki.selfSigned.certPem), [leaf], 'localhost');
    expect(selfSigned.verified).toBe(false);
    expect(!selfSigned.verified && selfSigned.reasons[0]).toMatch(/^self-signed certificate/);
    const leafInfo = describeCertificate(new X509Certificate(pki.leaf.certPem).raw);
    const unknown = judgeCertificate('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', peer(pki.leaf.certPem), [leafInfo], 'localhost');
    expect(!unknown.verified && unknown.reasons[0]).toMatch(/^unknown issuer: "CN=mailprobe Test CA" is not a trusted CA/);
    // Where the chain ends adds the trust reason OpenSSL's first error (expiry) hides.
    const anchor = { kind: 'unknown-issuer', top: 'CN=localhost', issuer: 'CN=mailprobe Test CA' } as const;
    const expired = judgeCertificate('CERT_HAS_EXPIRED', peer(pki.expired.certPem), [describeCertificate(new X509Certificate(pki.expired.certPem).raw)], 'localhost', anchor);
    expect(!expired.verified && expired.reasons).toEqual([expect.stringMatching(/^expired on /), expect.stringMatching(/^unknown issuer: "CN=mailprobe Test CA" \(which issued "CN=localhost"\)/)]);
  });
});

describe('grouped numbers', () => {
  it('groups counts and rates (never negative) as en-US does, with up to three decimals', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 1e12 }), fc.double({ min: 0, max: 1e9, noNaN: true })), (n) => {
        expect(grouped(n)).toBe(n.toLocaleString('en-US'));
      }),
    );
    expect(counted(1, 'connection')).toBe('1 connection');
    expect(counted(20000, 'message')).toBe('20,000 messages');
  });
});
