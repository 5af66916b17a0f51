// The LDAP BER codec, table-driven: lengths LDAP allows and those it does not, minimal
// encodings of what mailprobe sends, and decoding as servers really write it.
import { describe, expect, it } from 'vitest';
import { BerError, readHeader, unsigned } from '../../src/protocols/ldap/ber.js';
import { decodeMessage, searchRequest, startTlsRequest, unbindRequest } from '../../src/protocols/ldap/message.js';
import { value } from '../../src/protocols/ldap/render.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('readHeader', () => {
  it.each([
    ['short form', '30 0c', { tag: 0x30, headerBytes: 2, length: 12 }],
    ['long form, one octet', '30 81 80', { tag: 0x30, headerBytes: 3, length: 128 }],
    ['Active Directory: four octets, not minimal', '30 84 00 00 00 05', { tag: 0x30, headerBytes: 6, length: 5 }],
    ['a tag alone', '30', 'incomplete'],
    ['length octets still to come', '30 84 00 00', 'incomplete'],
  ])('%s', (_name, bytes, expected) => {
    expect(readHeader(hex(bytes))).toEqual(expected);
  });

  it.each([
    ['indefinite length', '30 80', /indefinite/],
    ['five length octets', '30 85 00 00 00 00 01', /5 octets/],
    ['above the limit (long form)', '30 84 00 10 00 01', /above the limit/],
    ['high tag number form', '1f 81 01 00', /high tag/],
  ])('%s is refused', (_name, bytes, message) => {
    expect(() => readHeader(hex(bytes))).toThrow(BerError);
    expect(() => readHeader(hex(bytes))).toThrow(message);
  });

  it('the short form is bounded too', () => {
    expect(() => readHeader(hex('30 40'), 0, 63)).toThrow(/above the limit of 63/);
  });
});

describe('encoding', () => {
  it.each([
    [0, '02 01 00'],
    [1, '02 01 01'],
    [127, '02 01 7f'],
    [128, '02 02 00 80'],
    [0x7fffffff, '02 04 7f ff ff ff'],
  ])('INTEGER %d minimal', (n, bytes) => {
    expect(unsigned(0x02, n).toString('hex')).toBe(hex(bytes).toString('hex'));
  });

  it('the StartTLS request is the one ldapsearch -ZZ and openssl s_client send', () => {
    expect(startTlsRequest(1).toString('hex')).toBe('301d02010177188016312e332e362e312e342e312e313436362e3230303337');
  });

  it('unbindRequest is [APPLICATION 2] NULL', () => {
    expect(unbindRequest(3).toString('hex')).toBe('3005020103' + '4200');
  });

  it('the RootDSE search decodes as a searchRequest of its messageID', () => {
    const decoded = decodeMessage(searchRequest(2, '', 'baseObject', 'objectClass', ['namingContexts']));
    expect(decoded).toMatchObject({ id: 2, tag: 0x63, op: { kind: 'request', name: 'searchRequest' } });
  });
});

describe('decoding', () => {
  it('OpenLDAP\'s StartTLS success: no responseName', () => {
    expect(decodeMessage(hex('300c 020101 7807 0a0100 0400 0400'))).toEqual({
      id: 1,
      tag: 0x78,
      op: { kind: 'result', name: 'extendedResp', result: { code: 0, matchedDN: '', diagnostic: '', referrals: [] }, responseName: undefined },
    });
  });

  it('a response with 4-octet lengths everywhere (Active Directory) and empty controls', () => {
    expect(decodeMessage(hex('30 84 00000012 020101 78 84 00000007 0a0135 0400 0400 a000'))).toMatchObject({ id: 1, op: { kind: 'result', result: { code: 53 } } });
  });

  it.each([
    ['a negative messageID', '3009 0201ff 7804 0a0100 0400'],
    ['a resultCode of the wrong type', '300c 020101 7807 020100 0400 0400'],
    ['an element overrunning its container', '3005 020101 7805'],
    ['bytes after the message', '3003 020101 00'],
    ['elements after the controls', '300c 020101 7803 0a0100 a000 0400'],
  ])('%s is malformed', (_name, bytes) => {
    expect(() => decodeMessage(hex(bytes))).toThrow(BerError);
  });

  it('values: UTF-8 as text, anything else as hex, long ones cut', () => {
    expect(value(Buffer.from('dc=exämple'))).toBe('dc=exämple');
    expect(value(Buffer.from([0xff, 0x00]))).toBe('0xff00');
    expect(value(Buffer.alloc(2000, 0x61))).toMatch(/^a{1024} … \(2000 bytes\)$/);
  });
});
