// The commander program for the session command. Flags reach it already normalised to
// --canonical form (see normalise.ts), so commander's own parsing stays simple.
import { Command, CommanderError } from 'commander';
import { usageError } from '../errors.js';
import { SESSION_FLAGS } from './flags.js';
import type { SessionFlags } from './resolve.js';

export interface ParsedSession {
  flags: SessionFlags & { help?: boolean; version?: boolean };
  positional: string[];
}

export function parseSessionArgs(argv: string[]): ParsedSession {
  const program = new Command('mailprobe')
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .helpOption(false)
    .allowExcessArguments(true)
    .argument('[target...]');
  for (const flag of SESSION_FLAGS) program.option(`--${flag.name}${flag.value ? ` <${flag.value}>` : ''}`, flag.help);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw usageError(error.message.replace(/^error: /, ''));
    throw error;
  }
  return { flags: program.opts() as ParsedSession['flags'], positional: program.args };
}
