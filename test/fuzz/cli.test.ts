// Property-based fuzzing of the command line: the argv normaliser (openssl-style flags →
// commander) and host[:port] targets. User input may be anything; the answer is a result
// or a usage error (MailprobeError, exit code 2), never a crash.
//
// Default budget: FUZZ_RUNS=200 cases per property. A long run:
//     FUZZ_RUNS=20000 npx vitest run test/fuzz
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CERT_FLAGS, CHECK_FLAGS, SESSION_FLAGS, type FlagSpec } from '../../src/cli/flags.js';
import { normaliseArgv } from '../../src/cli/normalise.js';
import { formatHostPort, parseTarget, SERVICE_PORTS } from '../../src/cli/target.js';
import { MailprobeError } from '../../src/errors.js';
import { budget } from './support.js';

/** Runs `run`; a MailprobeError with exit code 2 is an answer too, anything else fails. */
function resultOrUsageError<T>(run: () => T): T | MailprobeError {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof MailprobeError)) throw new Error(`threw ${String(error)} instead of a MailprobeError`, { cause: error });
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('USAGE');
    return error;
  }
}

// ---------------------------------------------------------------------------------------
// normaliseArgv

/** Every way to write a flag: -name, --name, -alias, --alias, and dashes for underscores. */
function spellings(spec: FlagSpec): string[] {
  const names = [spec.name, ...(spec.aliases ?? [])];
  if (spec.name.includes('_')) names.push(spec.name.replace(/_/g, '-'));
  return names.flatMap((name) => [`-${name}`, `--${name}`]);
}

const anyStringArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('-', '--', '---', '-=', '--=x', '=', '-x', '--connect', '-connect=', 'mx.example.com:25', '-weird-host', ' ', '', '-1', '--__proto__', '-constructor'),
);

type Token = { kind: 'flag'; spec: FlagSpec; spelling: string; value?: string; inline: boolean } | { kind: 'positional'; text: string };

const tokenArb = (flags: FlagSpec[], valueArb: fc.Arbitrary<string>, positionalArb: fc.Arbitrary<string>): fc.Arbitrary<Token> =>
  fc.oneof(
    { arbitrary: positionalArb.map((text): Token => ({ kind: 'positional', text })), weight: 1 },
    {
      arbitrary: fc.constantFrom(...flags).chain((spec) =>
        fc.record({
          kind: fc.constant('flag' as const),
          spec: fc.constant(spec),
          spelling: fc.constantFrom(...spellings(spec)),
          value: spec.value ? valueArb : fc.constant(undefined),
          inline: spec.value && (spec.count ?? 1) === 1 ? fc.boolean() : fc.constant(false),
        }),
      ),
      weight: 3,
    },
  );

/** The argv a user types for these tokens. */
function argvOf(tokens: Token[], tail: string[] | undefined): string[] {
  const argv = tokens.flatMap((t) => {
    if (t.kind === 'positional') return [t.text];
    if (t.value === undefined) return [t.spelling];
    const values = Array.from({ length: t.spec.count ?? 1 }, (_, i) => (i === 0 ? t.value! : `${t.value}#${i}`));
    return t.inline ? [`${t.spelling}=${t.value}`] : [t.spelling, ...values];
  });
  return tail ? [...argv, '--', ...tail] : argv;
}

/** What normaliseArgv should make of them. */
function expectedOf(tokens: Token[], tail: string[] | undefined): string[] {
  const out = tokens.flatMap((t) => {
    if (t.kind === 'positional') return [t.text];
    if (t.value === undefined) return [`--${t.spec.name}`];
    const values = Array.from({ length: t.spec.count ?? 1 }, (_, i) => (i === 0 ? t.value! : `${t.value}#${i}`));
    return [`--${t.spec.name}`, values.join(' ')];
  });
  return tail ? [...out, '--', ...tail] : out;
}

const positionalArb = anyStringArb.filter((s) => !s.startsWith('-') || s === '-');

/** A value spelled exactly like one of the table's flags is taken for a value left out (normalise.ts). */
const flagSpellings = (flags: FlagSpec[]) => new Set(flags.flatMap(spellings));
const valueArb = (flags: FlagSpec[]) => {
  const taken = flagSpellings(flags);
  return anyStringArb.filter((s) => !taken.has(s));
};

describe('normaliseArgv (fuzz)', () => {
  it.each([
    ['SESSION_FLAGS', SESSION_FLAGS],
    ['CHECK_FLAGS', CHECK_FLAGS],
    ['CERT_FLAGS', CERT_FLAGS],
  ] as const)('%s: any argv gives an array of strings or a usage error (exit 2), nothing else', (_name, flags) => {
    const argvArb = fc.array(fc.oneof(anyStringArb, fc.constantFrom(...flags.flatMap(spellings)), fc.constantFrom(...flags.flatMap(spellings)).map((s) => `${s}=x`)), { maxLength: 8 });
    fc.assert(
      fc.property(argvArb, (argv) => {
        const result = resultOrUsageError(() => normaliseArgv(argv, flags));
        if (result instanceof MailprobeError) return;
        expect(Array.isArray(result)).toBe(true);
        for (const arg of result) expect(typeof arg).toBe('string');
      }),
      budget(),
    );
  });

  it('SESSION_FLAGS: rewrites every spelling of valid flags to --canonical [value], values and positionals untouched', () => {
    fc.assert(
      fc.property(
        fc.array(tokenArb(SESSION_FLAGS, valueArb(SESSION_FLAGS), positionalArb), { maxLength: 8 }),
        fc.option(fc.array(anyStringArb, { maxLength: 3 }), { nil: undefined }),
        (tokens, tail) => {
          expect(normaliseArgv(argvOf(tokens, tail), SESSION_FLAGS)).toEqual(expectedOf(tokens, tail));
        },
      ),
      budget(),
    );
  });

  it('SESSION_FLAGS: a value spelled exactly like a flag is a value left out: a usage error naming both', () => {
    const withValue = SESSION_FLAGS.filter((flag) => flag.value && (flag.count ?? 1) === 1);
    fc.assert(
      fc.property(fc.constantFrom(...withValue), fc.constantFrom(...flagSpellings(SESSION_FLAGS)), (spec, next) => {
        const error = resultOrUsageError(() => normaliseArgv([`-${spec.name}`, next, 'x'], SESSION_FLAGS));
        expect(error).toBeInstanceOf(MailprobeError);
        expect((error as MailprobeError).message).toContain(`-${spec.name} needs a value`);
        expect((error as MailprobeError).message).toContain(`the next argument is the flag ${next}`);
      }),
      budget(),
    );
  });

  // A flag spanning two values (--srv DOMAIN SERVICE) comes out as one joined value, for
  // commander: normalised output is not meant to be read again, so such flags are left out.
  it('SESSION_FLAGS: normalising twice changes nothing (idempotent) for flags of one value', () => {
    const single = SESSION_FLAGS.filter((flag) => (flag.count ?? 1) === 1);
    fc.assert(
      fc.property(
        fc.array(tokenArb(single, valueArb(SESSION_FLAGS), positionalArb), { maxLength: 8 }),
        fc.option(fc.array(anyStringArb, { maxLength: 3 }), { nil: undefined }),
        (tokens, tail) => {
          const once = normaliseArgv(argvOf(tokens, tail), SESSION_FLAGS);
          expect(normaliseArgv(once, SESSION_FLAGS)).toEqual(once);
        },
      ),
      budget(),
    );
  });

  // Fails at the time of writing: for a flag spanning two values (--send, --relay-test),
  // `-send=a@x b@y c@z` drops the inline "a@x" without a word and takes the next two
  // arguments instead (normalise.ts: `values = inline !== undefined && count === 1 ? ...`).
  // Either use the inline value as the first one or refuse the = form for such flags.
  it('CHECK_FLAGS: no argument is silently dropped (each appears in the result, or it is a usage error)', () => {
    const word = fc.constantFrom('a@x.org', 'b@y.org', 'mx.example.com', 'x', '25');
    fc.assert(
      fc.property(fc.array(fc.oneof(word, fc.constantFrom(...CHECK_FLAGS.flatMap(spellings)), fc.constantFrom(...CHECK_FLAGS.filter((f) => f.value).flatMap(spellings)).map((s) => `${s}=`)), { maxLength: 6 }), (raw) => {
        // Give every user word a unique name so it can be found in the output.
        let n = 0;
        const argv = raw.map((arg) => (arg.startsWith('-') ? (arg.endsWith('=') ? `${arg}v${n++}` : arg) : `v${n++}`));
        const result = resultOrUsageError(() => normaliseArgv(argv, CHECK_FLAGS));
        if (result instanceof MailprobeError) return;
        const words = new Set(result.flatMap((arg) => arg.split(/[\s=]/)));
        for (let i = 0; i < n; i++) expect(words.has(`v${i}`), `v${i} in ${JSON.stringify(argv)} → ${JSON.stringify(result)}`).toBe(true);
      }),
      // The example becomes ['--send=v0', 'v1', 'v2'] → ['--send', 'v1 v2']: v0 is gone.
      budget<[string[]]>({ examples: [[['--send=', 'b@y.org', 'a@x.org']]] }),
    );
  });
});

// ---------------------------------------------------------------------------------------
// parseTarget

const labelArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,12}$/);
const hostnameArb = fc.array(labelArb, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
const portArb = fc.oneof(
  fc.integer({ min: 1, max: 65535 }).map((port) => ({ text: String(port), port })),
  fc.integer({ min: 1, max: 65535 }).map((port) => ({ text: `00${port}`, port })),
  fc.constantFrom(...SERVICE_PORTS.entries()).map(([name, port]) => ({ text: name.toUpperCase(), port })),
  fc.constantFrom(...SERVICE_PORTS.entries()).map(([name, port]) => ({ text: name, port })),
);

describe('parseTarget (fuzz)', () => {
  it('any text gives a target or a usage error; a port is always 1..65535, a host non-empty and whitespace-free', () => {
    const textArb = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.array(fc.constantFrom('[', ']', ':', '::', '1', '0', '65535', '65536', '99999999999999999999', 'a', '.', '-', ' ', 'smtp', 'imaps', 'fe80', '%eth0', '127.0.0.1', '\u00a0', '\n', 'é'), { maxLength: 10 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        const result = resultOrUsageError(() => parseTarget(text));
        if (result instanceof MailprobeError) return;
        expect(result.host.length).toBeGreaterThan(0);
        expect(/\s/.test(result.host)).toBe(false);
        if (result.host.includes(':')) expect(isIP(result.host)).toBe(6);
        if (result.port !== undefined) {
          expect(Number.isInteger(result.port)).toBe(true);
          expect(result.port).toBeGreaterThanOrEqual(1);
          expect(result.port).toBeLessThanOrEqual(65535);
        }
      }),
      budget(),
    );
  });

  it('reads back what formatHostPort writes: names, IPv4, [IPv6], ports by number or service name', () => {
    fc.assert(
      fc.property(fc.oneof(hostnameArb, fc.ipV4(), fc.ipV6()), portArb, fc.constantFrom('', ' ', '\t'), (host, port, pad) => {
        const written = formatHostPort(host, 1).replace(/:1$/, `:${port.text}`);
        expect(parseTarget(`${pad}${written}${pad}`)).toEqual({ host, port: port.port });
      }),
      budget(),
    );
  });

  it('reads a host without a port (a bare IPv6 address included)', () => {
    fc.assert(
      fc.property(fc.oneof(hostnameArb, fc.ipV4(), fc.ipV6()), (host) => {
        expect(parseTarget(host)).toEqual({ host, port: undefined });
      }),
      budget(),
    );
  });

  it('refuses ports out of range and unknown service names', () => {
    fc.assert(
      fc.property(hostnameArb, fc.oneof(fc.constant('0'), fc.integer({ min: 65536, max: 10_000_000 }).map(String), fc.constantFrom('http', 'smtp2', '-1', '+25', '25.0', ' 25', '0x19')), (host, port) => {
        expect(resultOrUsageError(() => parseTarget(`${host}:${port}`))).toBeInstanceOf(MailprobeError);
      }),
      budget(),
    );
  });
});
