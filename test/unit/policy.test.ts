// MTA-STS records, policies and MX patterns (RFC 8461), TLS-RPT records (RFC 8460).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mxMatches, parsePolicy, stsRecord } from '../../src/policy/mtaSts.js';
import { tlsRptRecord } from '../../src/policy/tlsRpt.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const domain = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.'));

describe('MTA-STS mx patterns', () => {
  it('"*.D" matches exactly one label before D, never D itself nor two labels', () => {
    fc.assert(
      fc.property(label, label, domain, (one, two, base) => {
        expect(mxMatches(`*.${base}`, `${one}.${base}`)).toBe(true);
        expect(mxMatches(`*.${base}`, `${one}.${base}.`.toUpperCase())).toBe(true);
        expect(mxMatches(`*.${base}`, base)).toBe(false);
        expect(mxMatches(`*.${base}`, `${two}.${one}.${base}`)).toBe(false);
      }),
    );
  });

  it('an exact pattern matches only that name (case and a final dot aside)', () => {
    fc.assert(
      fc.property(domain, domain, (a, b) => {
        expect(mxMatches(a, `${a.toUpperCase()}.`)).toBe(true);
        expect(mxMatches(a, b)).toBe(a === b);
      }),
    );
  });
});

describe('MTA-STS records and policies', () => {
  it('one v=STSv1 record with an id; several are ignored together', () => {
    expect(stsRecord(['v=STSv1; id=20261130T1;'])).toEqual({ found: true, id: '20261130T1', text: 'v=STSv1; id=20261130T1;' });
    expect(stsRecord(['v=spf1 -all'])).toMatchObject({ found: false, why: 'no TXT record starts with v=STSv1' });
    expect(stsRecord(['v=STSv1; id=1', 'v=STSv1; id=2'])).toMatchObject({ found: false, why: expect.stringMatching(/2 v=STSv1 records/) });
    expect(stsRecord(['v=STSv1; id=not-ok!'])).toMatchObject({ found: false, why: expect.stringMatching(/no valid id/) });
  });

  it('a policy: version, mode, max_age and mx lines; what is wrong is named', () => {
    expect(parsePolicy('version: STSv1\nmode: testing\nmx: MX1.example.com.\nmx: *.example.net\nmax_age: 604800\n')).toEqual({ mode: 'testing', maxAge: 604800, mx: ['mx1.example.com', '*.example.net'] });
    expect(parsePolicy('version: STSv1\nmode: none\nmax_age: 86400')).toEqual({ mode: 'none', maxAge: 86400, mx: [] });
    expect(parsePolicy('version: STSv2\nmode: enforce\nmx: a\nmax_age: 1')).toMatch(/version: STSv1/);
    expect(parsePolicy('version: STSv1\nmode: strict\nmx: a\nmax_age: 1')).toMatch(/mode must be/);
    expect(parsePolicy('version: STSv1\nmode: enforce\nmx: a\nmax_age: 99999999999')).toMatch(/max_age/);
    expect(parsePolicy('version: STSv1\nmode: enforce\nmax_age: 60')).toMatch(/at least one mx/);
    expect(parsePolicy('<html>')).toMatch(/not "key: value"/);
  });
});

describe('TLS-RPT records', () => {
  it('rua URIs: mailto and https accepted, others named', () => {
    expect(tlsRptRecord(['v=TLSRPTv1; rua=mailto:r@example.com,https://r.example.com/v1'])).toMatchObject({ found: true, rua: ['mailto:r@example.com', 'https://r.example.com/v1'], problems: [] });
    expect(tlsRptRecord(['v=TLSRPTv1;rua=http://r.example.com'])).toMatchObject({ found: true, problems: [expect.stringMatching(/neither a mailto: address nor an https: URL/)] });
    expect(tlsRptRecord(['v=TLSRPTv1;'])).toMatchObject({ found: false, why: expect.stringMatching(/no rua=/) });
    expect(tlsRptRecord([])).toMatchObject({ found: false, why: 'no _smtp._tls TXT record' });
  });
});
