// mailprobe's DNS stub against an in-process resolver that answers exactly as each test
// says: the AD bit as DNSSEC status, SERVFAIL then CD as bogus, truncation and TCP,
// answers to other questions ignored, silence bounded; and the mail questions on top.
import type * as packet from 'dns-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { aRecord, fakeDns, mxRecord } from '../support/fakeDns.js';
import { hostAddresses, mailExchangers, tlsaRecords } from '../../src/dns/mail.js';
import { parseResolver } from '../../src/dns/servers.js';

const closers: Array<() => void> = [];
afterAll(() => closers.forEach((close) => close()));

/** A fake resolver for one test, closed after the file. */
async function fakeResolverOf(zone: Parameters<typeof fakeDns>[0]) {
  const dns = await fakeDns(zone);
  closers.push(dns.close);
  return dns;
}

const a = aRecord;
const mx = mxRecord;

describe('the stub resolver', () => {
  it('AD set is secure, AD clear insecure; the DO bit and EDNS0 go out with every question', async () => {
    const { resolver } = await fakeResolverOf((q) => ({ ad: q.name === 'signed.test', answers: [a(q.name, '127.0.0.7')] }));
    expect(await resolver.lookup('signed.test', 'A')).toMatchObject({ status: 'secure', rcode: 'NOERROR', answers: [{ data: '127.0.0.7' }] });
    expect(await resolver.lookup('plain.test', 'A')).toMatchObject({ status: 'insecure' });
  });

  it('SERVFAIL that answers with checking disabled is bogus; SERVFAIL both ways is an error', async () => {
    const { resolver, queries } = await fakeResolverOf((q) => (q.name === 'bogus.test' && q.cd ? { answers: [a(q.name, '127.0.0.9')] } : { rcode: 'SERVFAIL' }));
    expect(await resolver.lookup('bogus.test', 'A')).toMatchObject({ status: 'bogus', answers: [{ data: '127.0.0.9' }] });
    expect(queries.map((q) => q.cd)).toEqual([false, true]);
    await expect(resolver.lookup('broken.test', 'A')).rejects.toThrow(/could not answer for broken\.test A \(SERVFAIL\)/);
  });

  it('a truncated answer is asked again over TCP', async () => {
    const { resolver, queries } = await fakeResolverOf((q) => (q.tcp ? { ad: true, answers: [a(q.name, '127.0.0.8')] } : { tc: true }));
    expect(await resolver.lookup('big.test', 'A')).toMatchObject({ status: 'secure', answers: [{ data: '127.0.0.8' }] });
    expect(queries.map((q) => q.tcp)).toEqual([false, true]);
  });

  it('an answer with another id (a spoofing attempt) is ignored; the real one is taken', async () => {
    const { resolver } = await fakeResolverOf((q) => ({ id: 1, answers: [a(q.name, '6.6.6.6')], extra: { answers: [a(q.name, '127.0.0.5')] } }));
    // One chance in 65,536 that the stub picked id 1 itself: then the first answer is the real one.
    const answer = await resolver.lookup('spoof.test', 'A');
    expect(['127.0.0.5', '6.6.6.6']).toContain(answer.answers[0].data);
    const again = await Promise.all(Array.from({ length: 5 }, () => resolver.lookup('spoof.test', 'A')));
    expect(again.filter((each) => each.answers[0].data === '127.0.0.5').length).toBeGreaterThanOrEqual(4);
  });

  it('silence is an error within the timeout, naming the resolver', async () => {
    const { resolver } = await fakeResolverOf(() => ({ silent: true }));
    const started = Date.now();
    await expect(resolver.lookup('quiet.test', 'A')).rejects.toThrow(/resolver 127\.0\.0\.1:\d+ did not answer within 1 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('--resolver takes IPs with optional ports, never names', () => {
    expect(parseResolver('127.0.0.1')).toEqual({ host: '127.0.0.1', port: 53 });
    expect(parseResolver('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseResolver('::1')).toEqual({ host: '::1', port: 53 });
    expect(parseResolver('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
    expect(() => parseResolver('dns.example')).toThrow(/not an IP address/);
    expect(() => parseResolver('127.0.0.1:99999')).toThrow(/port must be/);
  });
});

describe('mail questions', () => {
  it('MX hosts by preference; none → the domain itself; "0 ." → no mail; NXDOMAIN an error', async () => {
    const { resolver } = await fakeResolverOf((q) => {
      if (q.name === 'multi.test') return { ad: true, answers: [mx(q.name, 20, 'mx2.multi.test'), mx(q.name, 10, 'mx1.multi.test')] };
      if (q.name === 'nullmx.test') return { answers: [mx(q.name, 0, '.')] };
      if (q.name === 'gone.test') return { rcode: 'NXDOMAIN' };
      return {};
    });
    expect(await mailExchangers(resolver, 'multi.test')).toEqual({ kind: 'mx', status: 'secure', hosts: [{ host: 'mx1.multi.test', preference: 10 }, { host: 'mx2.multi.test', preference: 20 }] });
    expect(await mailExchangers(resolver, 'bare.test')).toMatchObject({ kind: 'implicit', hosts: [{ host: 'bare.test' }], status: 'insecure' });
    expect(await mailExchangers(resolver, 'nullmx.test')).toMatchObject({ kind: 'null', hosts: [] });
    await expect(mailExchangers(resolver, 'gone.test')).rejects.toThrow(/does not exist \(NXDOMAIN\)/);
  });

  it('addresses follow CNAMEs; TLSA is looked for at the CNAME target first, then at the host, when the chain is secure', async () => {
    const cname: packet.Answer = { type: 'CNAME', name: 'mx.alias.test', data: 'real.target.test', ttl: 60, class: 'IN' };
    const tlsa: packet.Answer = { type: 'TLSA', name: '_25._tcp.mx.alias.test', data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 7) }, ttl: 60, class: 'IN' } as packet.Answer;
    const { resolver, queries } = await fakeResolverOf((q) => {
      if (q.type === 'A') return { ad: true, answers: [cname, a('real.target.test', '127.0.0.3')] };
      if (q.type === 'AAAA') return { ad: true, answers: [cname] };
      if (q.name === '_25._tcp.mx.alias.test') return { ad: true, answers: [tlsa] };
      return { ad: true };
    });
    const host = await hostAddresses(resolver, 'mx.alias.test');
    expect(host).toEqual({ addresses: ['127.0.0.3'], canonical: 'real.target.test', status: 'secure' });
    const found = await tlsaRecords(resolver, { ...host, host: 'mx.alias.test' }, 25);
    expect(found).toMatchObject({ name: '_25._tcp.mx.alias.test', base: 'mx.alias.test', status: 'secure', records: [{ usage: 3, selector: 1, matchingType: 1 }] });
    expect(queries.filter((q) => q.type === 'TLSA').map((q) => q.name)).toEqual(['_25._tcp.real.target.test', '_25._tcp.mx.alias.test']);
  });
});
