// ManageSieve responses (RFC 5804 §4): data lines, then one line starting OK, NO or BYE.
import type { Tone } from '../types.js';

export function sieveStatus(line: string): 'OK' | 'NO' | 'BYE' | undefined {
  const match = /^(OK|NO|BYE)(?=$|[ (])/i.exec(line);
  return match ? (match[1].toUpperCase() as 'OK' | 'NO' | 'BYE') : undefined;
}

export function toneOfSieve(line: string): Tone {
  switch (sieveStatus(line)) {
    case 'OK':
      return 'ok';
    case 'NO':
      return 'tempfail';
    case 'BYE':
      return 'bye';
    default:
      return 'info';
  }
}

/** Splits a capability line `"SASL" "PLAIN LOGIN"` into its quoted strings (one linear scan). */
export function quotedStrings(line: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (current === undefined) {
      if (c === '"') current = '';
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
    } else if (c === '"') {
      out.push(current);
      current = undefined;
    } else {
      current += c;
    }
  }
  return out;
}
