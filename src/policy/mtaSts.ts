// MTA-STS (RFC 8461): the `_mta-sts` TXT record that announces a policy, the policy itself
// fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt over verified HTTPS (no
// redirects, a size limit, text/plain, §3.3), its parsing (§3.2), and MX pattern matching.
// The policy host's address comes from mailprobe's own resolver, like every other name.
import { request, type RequestOptions } from 'node:https';
import type { SecureContext } from 'node:tls';
import type { LookupFunction } from 'node:net';
import type { StubResolver } from '../dns/stub.js';
import { hostAddresses, txtRecords } from '../dns/mail.js';
import { messageOf } from '../errors.js';
import { tlsConnectionOptions, type TlsSettings } from '../transport/tlsOptions.js';

/** RFC 8461 §3.2 sets no size; 64 KiB is what senders commonly accept, and far more than any policy needs. */
export const POLICY_MAX_BYTES = 64 * 1024;

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  mode: StsMode;
  maxAge: number;
  mx: string[];
}

export type StsRecord = { found: false; why: string } | { found: true; id: string; text: string };

/** The `v=STSv1` TXT record among `texts`; none or several means no policy (§3.1). */
export function stsRecord(texts: string[]): StsRecord {
  const candidates = texts.filter((text) => /^v=STSv1\s*(;|$)/.test(text));
  if (candidates.length === 0) return { found: false, why: texts.length ? 'no TXT record starts with v=STSv1' : 'no _mta-sts TXT record' };
  if (candidates.length > 1) return { found: false, why: `${candidates.length} v=STSv1 records: a sender must ignore them all (RFC 8461 §3.1)` };
  const id = /(?:^|;)\s*id=([A-Za-z0-9]{1,32})\s*(?:;|$)/.exec(candidates[0])?.[1];
  if (!id) return { found: false, why: `the record has no valid id (1-32 letters and digits): "${candidates[0]}"` };
  return { found: true, id, text: candidates[0] };
}

/** The policy's fields (§3.2); a string says what is wrong with it. */
export function parsePolicy(text: string): StsPolicy | string {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const match = /^([A-Za-z0-9_]+):\s*(.*?)\s*$/.exec(line);
    if (!match) return `a line that is not "key: value": "${line.slice(0, 60)}"`;
    fields.set(match[1], [...(fields.get(match[1]) ?? []), match[2]]);
  }
  if (fields.get('version')?.[0] !== 'STSv1') return 'the policy does not say "version: STSv1"';
  const mode = fields.get('mode')?.[0];
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return `mode must be enforce, testing or none, not "${mode ?? ''}"`;
  const maxAgeText = fields.get('max_age')?.[0] ?? '';
  if (!/^\d{1,10}$/.test(maxAgeText) || Number(maxAgeText) > 31_557_600) return `max_age must be a number of seconds up to 31557600, not "${maxAgeText}"`;
  const mx = fields.get('mx') ?? [];
  if (mode !== 'none' && mx.length === 0) return `a ${mode} policy needs at least one mx pattern`;
  return { mode, maxAge: Number(maxAgeText), mx: mx.map((pattern) => pattern.toLowerCase().replace(/\.$/, '')) };
}

/** §4.1: an exact name, or "*.example.com", whose wildcard stands for exactly one label. */
export function mxMatches(pattern: string, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (!pattern.startsWith('*.')) return pattern === name;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

/**
 * The policy text from the policy host, or why there is none. HTTPS is verified against
 * the system roots and -CAfile/-CApath; a redirect, another content type or a body over the
 * limit is a failed fetch, as RFC 8461 §3.3 says.
 */
export async function fetchPolicy(domain: string, resolver: StubResolver, tls: TlsSettings, timeoutMs: number): Promise<{ text: string } | { error: string }> {
  const host = `mta-sts.${domain}`;
  let address: string | undefined;
  try {
    address = (await hostAddresses(resolver, host)).addresses[0];
  } catch (error) {
    return { error: `looking up ${host} failed: ${messageOf(error)}` };
  }
  if (!address) return { error: `${host} has no address` };
  const lookup: LookupFunction = (_hostname, options, callback) => {
    const family = address!.includes(':') ? 6 : 4;
    if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: address!, family }]);
    else callback(null, address!, family);
  };
  // The system roots plus -CAfile/-CApath, as for every handshake mailprobe makes.
  const { secureContext } = tlsConnectionOptions({ ...tls, host, servername: host });
  return new Promise((resolve) => {
    // https.request hands TLS options such as secureContext on to tls.connect.
    const options: RequestOptions & { secureContext?: SecureContext } = {
      host,
      servername: host,
      path: '/.well-known/mta-sts.txt',
      secureContext,
      rejectUnauthorized: true,
      lookup,
      agent: false,
      timeout: timeoutMs,
      headers: { 'user-agent': 'mailprobe' },
    };
    const req = request(
      options,
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.destroy();
          const where = res.headers.location ? ` to ${res.headers.location}` : '';
          return resolve({ error: status >= 300 && status < 400 ? `the policy URL redirects${where}, which RFC 8461 §3.3 forbids` : `the policy URL answered HTTP ${status}` });
        }
        const type = String(res.headers['content-type'] ?? '');
        if (!/^text\/plain\s*(;|$)/i.test(type)) {
          res.destroy();
          return resolve({ error: `the policy is served as "${type || 'no content type'}", not text/plain` });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > POLICY_MAX_BYTES) {
            res.destroy();
            resolve({ error: `the policy is larger than ${POLICY_MAX_BYTES / 1024} KiB` });
          } else chunks.push(chunk);
        });
        res.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => resolve({ error: `reading the policy failed: ${error.message}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error) => resolve({ error: `fetching https://${host}/.well-known/mta-sts.txt failed: ${error.message}` }));
    req.end();
  });
}

/** A domain's MTA-STS as a sender learns it: the record's id and the policy, or why there is none. */
export interface DomainPolicy {
  /** The record's id, when a v=STSv1 record was found. */
  id?: string;
  policy?: StsPolicy;
  /** Why there is no policy in force; `announced` when a record promised one that could not be had. */
  error?: string;
  announced?: boolean;
  /** The record could not even be looked up: whether a policy exists is unknown. */
  unknown?: boolean;
}

export async function loadPolicy(domain: string, resolver: StubResolver, tls: TlsSettings, timeoutMs: number): Promise<DomainPolicy> {
  let texts: string[];
  try {
    texts = (await txtRecords(resolver, `_mta-sts.${domain}`)).texts;
  } catch (error) {
    return { error: `looking up _mta-sts.${domain} failed: ${messageOf(error)}`, unknown: true };
  }
  const record = stsRecord(texts);
  if (!record.found) return { error: record.why };
  const fetched = await fetchPolicy(domain, resolver, tls, timeoutMs);
  if ('error' in fetched) return { id: record.id, error: fetched.error, announced: true };
  const policy = parsePolicy(fetched.text);
  if (typeof policy === 'string') return { id: record.id, error: `the policy is not valid: ${policy}`, announced: true };
  return { id: record.id, policy };
}
