// TLS-RPT (RFC 8460 §3): the `_smtp._tls` TXT record that says where senders report TLS
// failures: "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,https://reports.example.com/".
export type TlsRptRecord = { found: false; why: string } | { found: true; rua: string[]; problems: string[]; text: string };

/** A rua URI senders can use: mailto: with an address, or https: (§3). */
function ruaProblem(uri: string): string | undefined {
  if (/^mailto:[^@\s]+@[^@\s]+$/i.test(uri)) return undefined;
  if (/^https:\/\/[^\s/]+/i.test(uri)) return undefined;
  return `"${uri}" is neither a mailto: address nor an https: URL`;
}

export function tlsRptRecord(texts: string[]): TlsRptRecord {
  const candidates = texts.filter((text) => /^v=TLSRPTv1\s*(;|$)/.test(text));
  if (candidates.length === 0) return { found: false, why: texts.length ? 'no TXT record starts with v=TLSRPTv1' : 'no _smtp._tls TXT record' };
  if (candidates.length > 1) return { found: false, why: `${candidates.length} v=TLSRPTv1 records: senders must ignore them all (RFC 8460 §3)` };
  const rua = /(?:^|;)\s*rua=([^;]*)/.exec(candidates[0])?.[1]?.trim();
  if (!rua) return { found: false, why: `the record has no rua= (where reports go): "${candidates[0]}"` };
  // URIs are separated by commas; a comma inside one is written %2C.
  const uris = rua.split(',').map((uri) => uri.trim()).filter(Boolean);
  const problems = uris.map(ruaProblem).filter((problem): problem is string => problem !== undefined);
  return { found: true, rua: uris, problems, text: candidates[0] };
}
