// Escaping of server bytes, colour rules, and the certificate report's formatting.
import { describe, expect, it } from 'vitest';
import { escapeBytes, escapeText } from '../../src/terminal/escape.js';
import { colourLevel, palette } from '../../src/terminal/style.js';
import { formatBriefTls, formatTlsReport } from '../../src/terminal/tlsReport.js';
import { describeCertificate } from '../../src/transport/certificate.js';
import { signatureAlgorithm } from '../../src/transport/der.js';
import { judgeCertificate } from '../../src/transport/verify.js';
import type { TlsInfo } from '../../src/transport/handshake.js';
import { X509Certificate } from 'node:crypto';
import { testPki } from '../support/pkiOnce.js';

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

  it('judges every reason a certificate fails, naming the names it holds', () => {
    const pki = testPki();
    const peer = (pem: string) => {
      const x = new X509Certificate(pem);
      return { raw: x.raw, subject: { CN: 'mail.other.test' }, subjectaltname: x.subjectAltName } as never;
    };
    const wrong = describeCertificate(new X509Certificate(pki.wrongHost.certPem).raw);
    const verdict = judgeCertificate(undefined, peer(pki.wrongHost.certPem), wrong, 'localhost');
    expect(verdict).toEqual({
      verified: false,
      name: 'localhost',
      reasons: ['hostname mismatch: the certificate is not for "localhost"; it holds DNS:mail.other.test, DNS:other.test'],
    });
    const leaf = describeCertificate(new X509Certificate(pki.selfSigned.certPem).raw);
    const selfSigned = judgeCertificate('DEPTH_ZERO_SELF_SIGNED_CERT', peer(pki.selfSigned.certPem), leaf, 'localhost');
    expect(selfSigned.verified).toBe(false);
    expect(!selfSigned.verified && selfSigned.reasons[0]).toMatch(/^self-signed certificate/);
    const unknown = judgeCertificate('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', peer(pki.leaf.certPem), describeCertificate(new X509Certificate(pki.leaf.certPem).raw), 'localhost');
    expect(!unknown.verified && unknown.reasons[0]).toMatch(/^unknown issuer: "CN=mailprobe Test CA" is not a trusted CA/);
  });
});
