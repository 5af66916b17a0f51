// Commander rejects multi-letter short flags, so openssl's single-dash long flags
// (`-connect`, `-starttls`) are rewritten to their canonical `--name` before it parses.
import { usageError } from '../errors.js';
import type { FlagSpec } from './flags.js';

export interface NormalisedArgv {
  argv: string[];
}

function lookupTable(flags: FlagSpec[]): Map<string, FlagSpec> {
  const table = new Map<string, FlagSpec>();
  for (const flag of flags) {
    table.set(flag.name, flag);
    for (const alias of flag.aliases ?? []) table.set(alias, flag);
  }
  return table;
}

/** Levenshtein distance, case-insensitive: used only to suggest a flag. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length];
}

export function closestFlag(name: string, flags: FlagSpec[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const flag of flags) {
    for (const candidate of [flag.name, ...(flag.aliases ?? [])]) {
      const distance = editDistance(name, candidate);
      if (!best || distance < best.distance) best = { name: flag.name, distance };
    }
  }
  if (!best) return undefined;
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best.distance <= limit ? best.name : undefined;
}

/**
 * Rewrites `-flag`, `--flag`, `-flag=value` and `--alias` into `--canonical [value]`.
 * Values are taken from the next argument, so `-connect -weird-host` is not mistaken for a flag.
 * Throws a usage error naming the closest known flag for anything unknown.
 */
/** Where an unknown flag's error sends the user, and how that command spells its flags. */
export interface FlagContext {
  /** The help that lists the flags: "mailprobe -help", "mailprobe check --help". */
  help: string;
  /** The dash a suggestion is written with: the session takes openssl's single dash. */
  dash: '-' | '--';
}

const SESSION_CONTEXT: FlagContext = { help: 'mailprobe -help', dash: '-' };

/** The context of a subcommand: `mailprobe NAME --help`, GNU double dashes. */
export const commandContext = (name: string): FlagContext => ({ help: `mailprobe ${name} --help`, dash: '--' });

/** The flag a name (without its dashes) spells: as given, or with dashes for underscores. */
const findFlag = (table: Map<string, FlagSpec>, name: string): FlagSpec | undefined => table.get(name) ?? table.get(name.replace(/-/g, '_'));

/** Whether argv from `from` on holds a positional argument (an argument no flag takes as its value), or -connect. */
function serverFollows(argv: string[], from: number, table: Map<string, FlagSpec>): boolean {
  for (let i = from; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') return true;
    const body = arg.replace(/^--?/, '');
    const spec = findFlag(table, body.split('=')[0]);
    if (spec?.namesServer) return true;
    if (spec?.value && !body.includes('=')) i += spec.count ?? 1;
  }
  return false;
}

export function normaliseArgv(argv: string[], flags: FlagSpec[], context: FlagContext = SESSION_CONTEXT): string[] {
  const table = lookupTable(flags);
  const out: string[] = [];
  /** A server was given before this point (a positional, -connect or -unix). */
  let serverGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.push(arg);
      serverGiven = true;
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const spec = findFlag(table, name);
    if (!spec) {
      const suggestion = closestFlag(name, flags);
      const spelled = suggestion && (context.dash === '--' ? suggestion.replace(/_/g, '-') : suggestion);
      throw usageError(`unknown flag ${arg}` + (spelled ? ` (did you mean ${context.dash}${spelled}?)` : ''), `run ${context.help} for the list of flags`);
    }
    out.push(`--${spec.name}`);
    if (spec.namesServer) serverGiven = true;
    if (spec.value) {
      const count = spec.count ?? 1;
      // An inline value (--send=a@x b@y) is the first of the values; the rest follow.
      const following = inline === undefined ? count : count - 1;
      const values = [...(inline === undefined ? [] : [inline]), ...argv.slice(i + 1, i + 1 + following)];
      i += following;
      if (values.length < count || values.some((v) => v === undefined)) {
        throw usageError(`-${spec.name} needs ${count > 1 ? `${count} values` : 'a value'} (${spec.value})`);
      }
      // A value spelled exactly like one of this command's flags is a value left out
      // (`-proxy -timeout 5`); any other dash-led value is taken (`-connect -weird-host`).
      const flagLike = values.find((value, n) => n >= (inline === undefined ? 0 : 1) && /^--?[A-Za-z0-9]/.test(value) && findFlag(table, value.replace(/^--?/, '')) !== undefined);
      if (flagLike) throw usageError(`-${spec.name} needs ${count > 1 ? `${count} values` : 'a value'} (${spec.value}), but the next argument is the flag ${flagLike}`);
      const next = argv[i + 1];
      if (spec.optional && next !== undefined && spec.optional.test(next) && (serverGiven || serverFollows(argv, i + 2, table))) {
        values.push(next);
        i++;
      }
      out.push(values.join(' '));
    } else if (inline !== undefined) {
      throw usageError(`-${spec.name} takes no value, but was given "${inline}"`);
    }
  }
  return out;
}
