// The TLSA matcher (RFC 6698, 7671, 7672) against certificates made at test time: every
// usage, selector and matching type, the records SMTP cannot use, and DANE-TA's chain,
// name and date rules that DANE-EE ignores.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatTlsa, matchDane, parseTlsaRrdata, tlsaFor, type TlsaRecord } from '../../src/transport/dane.js';
import { testPki } from '../support/pkiOnce.js';

const pki = testPki();
const pems = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
/** leaf, intermediate, root: a chain as a server would send it, with its root. */
const chain = [...pems(pki.viaIntermediate.certPem), pki.ca.certPem];
const selectors = fc.constantFrom(0, 1);
const matchingTypes = fc.constantFrom(0, 1, 2);
const flip = (record: TlsaRecord, at: number): TlsaRecord => {
  const data = Buffer.from(record.data);
  data[at % data.length] ^= 0xff;
  return { ...record, data };
};

describe('TLSA records as given on the command line', () => {
  it('reads "U S M hex", mnemonics too, and says what is wrong otherwise', () => {
    expect(parseTlsaRrdata('3 1 1 ABCDEF')).toEqual({ usage: 3, selector: 1, matchingType: 1, data: Buffer.from('abcdef', 'hex') });
    expect(parseTlsaRrdata('DANE-EE SPKI SHA2-256 ab cd')).toEqual({ usage: 3, selector: 1, matchingType: 1, data: Buffer.from('abcd', 'hex') });
    expect(parseTlsaRrdata('3 1 1')).toMatch(/USAGE SELECTOR MATCHING-TYPE HEX/);
    expect(parseTlsaRrdata('3 1 x abcd')).toMatch(/not a TLSA usage/);
    expect(parseTlsaRrdata('3 1 1 abc')).toMatch(/hexadecimal/);
    expect(parseTlsaRrdata('300 1 1 ab')).toMatch(/not a TLSA usage/);
  });
});

describe('matching', () => {
  it('DANE-EE(3): any selector and matching type of the leaf matches at depth 0; one changed byte does not', () => {
    fc.assert(
      fc.property(selectors, matchingTypes, fc.nat(), (selector, matchingType, at) => {
        const record = tlsaFor(chain[0], 3, selector, matchingType);
        const good = matchDane([record], chain, 'localhost');
        expect(good).toMatchObject({ status: 'valid', depth: 0 });
        expect(matchDane([flip(record, at)], chain, 'localhost').status).toBe('invalid');
      }),
      { numRuns: 30 },
    );
  });

  it('DANE-EE(3) ignores names and dates: an expired certificate for another name still matches', () => {
    for (const pair of [pki.expired, pki.wrongHost, pki.selfSigned]) {
      const record = tlsaFor(pair.certPem, 3, 1, 1);
      expect(matchDane([record], [pair.certPem], 'localhost')).toMatchObject({ status: 'valid', depth: 0 });
    }
  });

  it('DANE-TA(2): the intermediate or the root as trust anchor matches at its depth, any selector and matching type', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2), selectors, matchingTypes, (depth, selector, matchingType) => {
        const record = tlsaFor(chain[depth], 2, selector, matchingType);
        expect(matchDane([record], chain, 'localhost')).toMatchObject({ status: 'valid', depth });
      }),
      { numRuns: 20 },
    );
  });

  it('DANE-TA(2) never matches the leaf itself, and needs the leaf to name the host and be in date', () => {
    const leafAsAnchor = tlsaFor(chain[0], 2, 1, 1);
    expect(matchDane([leafAsAnchor], chain, 'localhost').status).toBe('invalid');
    const root = tlsaFor(pki.ca.certPem, 2, 1, 1);
    const wrongName = matchDane([root], [pki.wrongHost.certPem, pki.ca.certPem], 'localhost');
    expect(wrongName.status).toBe('invalid');
    expect(wrongName.status === 'invalid' && wrongName.reasons[0]).toMatch(/not for "localhost"/);
    const expired = matchDane([root], [pki.expired.certPem, pki.ca.certPem], 'localhost');
    expect(expired.status === 'invalid' && expired.reasons[0]).toMatch(/expired/);
    // The same anchor with a certificate it did not issue (self-signed leaf) does not count.
    const notIssued = matchDane([root], [pki.selfSigned.certPem, pki.ca.certPem], 'localhost');
    expect(notIssued.status === 'invalid' && notIssued.reasons[0]).toMatch(/not issued by/);
  });

  it('PKIX usages (0, 1), unknown values and digests of the wrong length are unusable, never matched', () => {
    const leafPin = tlsaFor(chain[0], 3, 1, 1);
    const unusable: TlsaRecord[] = [
      { ...leafPin, usage: 1 },
      { ...tlsaFor(pki.ca.certPem, 0, 1, 1) },
      { ...leafPin, usage: 4 },
      { ...leafPin, selector: 2 },
      { ...leafPin, matchingType: 3 },
      { ...leafPin, data: leafPin.data.subarray(0, 20) },
      { ...tlsaFor(chain[0], 3, 1, 2), data: Buffer.alloc(32) },
    ];
    const result = matchDane(unusable, chain, 'localhost');
    expect(result.status).toBe('unusable');
    expect(result.unusable.map((each) => each.why)).toEqual([
      expect.stringMatching(/PKIX-EE\(1\) is not usable/),
      expect.stringMatching(/PKIX-TA\(0\) is not usable/),
      expect.stringMatching(/usage 4 is not defined/),
      expect.stringMatching(/selector 2/),
      expect.stringMatching(/matching type 3/),
      expect.stringMatching(/SHA2-256 digest is 32 bytes, this one is 20/),
      expect.stringMatching(/SHA2-512 digest is 64 bytes, this one is 32/),
    ]);
    // One usable record among them decides.
    expect(matchDane([...unusable, leafPin], chain, 'localhost')).toMatchObject({ status: 'valid', record: leafPin });
  });

  it('names every record that did not match', () => {
    const other = tlsaFor(pki.ecdsa.certPem, 3, 1, 1);
    const result = matchDane([other, tlsaFor(pki.ecdsa.certPem, 2, 0, 1)], chain, 'localhost');
    expect(result.status).toBe('invalid');
    expect(result.status === 'invalid' && result.reasons).toEqual([
      `${formatTlsa(other)}: does not match the server's certificate`,
      expect.stringMatching(/matches no issuer certificate the server sent/),
    ]);
  });
});
