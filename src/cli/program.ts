// The commander program for the session command. Flags reach it already normalised to
// --canonical form (see normalise.ts), so commander's own parsing stays simple.
import { Command, CommanderError } from 'commander';
import { usageError } from '../errors.js';
import { SESSION_FLAGS, type FlagSpec } from './flags.js';
import type { SessionFlags } from './resolve.js';

export interface ParsedSession {
  flags: SessionFlags & { help?: boolean; version?: boolean };
  positional: string[];
}

export function parseSessionArgs(argv: string[]): ParsedSession {
  return parseArgs(argv, SESSION_FLAGS) as ParsedSession;
}

/** Parses already-normalised argv against a flag table with commander. */
export type ParsedFlags = Record<string, string | string[] | boolean | undefined>;

export function parseArgs(argv: string[], flags: FlagSpec[]): { flags: ParsedFlags; positional: string[] } {
  const program = new Command('mailprobe')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .helpOption(false)
    .allowExcessArguments(true)
    .argument('[target...]');
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  for (const flag of flags) {
    const spelling = `--${flag.name}${flag.value ? ` <${flag.value.replace(/ /g, '_')}>` : ''}`;
    if (flag.repeatable) program.option(spelling, flag.help, collect);
    else program.option(spelling, flag.help);
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw usageError(error.message.replace(/^error: /, ''));
    throw error;
  }
  return { flags: program.opts(), positional: program.args };
}
