// Capabilities parsed once into a structure: keywords match whole (XSTARTTLSX is not STARTTLS).
import type { Capabilities } from './types.js';

export function buildCapabilities(entries: Iterable<[string, string[]]>, authKeyword = 'AUTH'): Capabilities {
  const keywords = new Set<string>();
  const params = new Map<string, string[]>();
  for (const [rawKeyword, rawParams] of entries) {
    const keyword = rawKeyword.toUpperCase();
    if (!keyword) continue;
    keywords.add(keyword);
    const upper = rawParams.map((p) => p.toUpperCase()).filter(Boolean);
    params.set(keyword, [...(params.get(keyword) ?? []), ...upper]);
  }
  const authMechanisms = [...new Set(params.get(authKeyword) ?? [])];
  return { keywords, params, authMechanisms };
}

export function emptyCapabilities(): Capabilities {
  return buildCapabilities([]);
}

/** Splits "KEYWORD p1 p2" (and the old "AUTH=PLAIN LOGIN" form) into [keyword, params]. */
export function keywordLine(text: string): [string, string[]] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return ['', []];
  const [first, ...rest] = words;
  const eq = first.indexOf('=');
  if (eq > 0) return [first.slice(0, eq), [first.slice(eq + 1), ...rest]];
  return [first, rest];
}
