// Capabilities parsed once into a structure: keywords match whole (XSTARTTLSX is not STARTTLS).
import type { Capabilities } from './types.js';

export function buildCapabilities(entries: Iterable<[string, string[]]>, authKeyword = 'AUTH'): Capabilities {
  const keywords = new Set<string>();
  const params = new Map<string, string[]>();
  for (const [rawKeyword, rawParams] of entries) {
    const keyword = rawKeyword.toUpperCase();
    if (!keyword) continue;
    keywords.add(keyword);
    // One upper-casing per entry, not one per parameter: a hostile 64 KiB line has 32,000.
    const upper = rawParams.length === 0 ? [] : rawParams.join(' ').toUpperCase().split(' ').filter(Boolean);
    const earlier = params.get(keyword);
    params.set(keyword, earlier ? earlier.concat(upper) : upper);
  }
  const authMechanisms = [...new Set(params.get(authKeyword) ?? [])];
  return { keywords, params, authMechanisms };
}

export function emptyCapabilities(): Capabilities {
  return buildCapabilities([]);
}

/** Splits "KEYWORD p1 p2" (and the old "AUTH=PLAIN LOGIN" form) into [keyword, params]. */
export function keywordLine(text: string): [string, string[]] {
  const trimmed = text.trim();
  if (trimmed === '') return ['', []];
  const words = trimmed.split(/\s+/);
  const [first, ...rest] = words;
  const eq = first.indexOf('=');
  if (eq > 0) return [first.slice(0, eq), [first.slice(eq + 1), ...rest]];
  return [first, rest];
}
