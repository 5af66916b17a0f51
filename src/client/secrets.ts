// Where passwords and tokens come from, in order: the :auth line, MAILPROBE_PASSWORD,
// --pass-file, and last a no-echo prompt on a terminal. Never required on the command line.
import { readFileSync } from 'node:fs';
import { MailprobeError } from '../errors.js';

export interface SecretSources {
  env: NodeJS.ProcessEnv;
  passFile?: string;
  /** A no-echo prompt, when a terminal is there to ask on; undefined when none was typed. */
  prompt?: (question: string) => Promise<string | undefined>;
}

export function readPassFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MailprobeError('USAGE', `cannot read --pass-file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  // The first line is the secret; a trailing newline from an editor is not part of it.
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** The secret, or undefined when the person asked at the prompt gave none (nothing may be sent). */
export async function findSecret(given: string | undefined, sources: SecretSources, question: string): Promise<string | undefined> {
  if (given !== undefined) return given;
  const fromEnv = sources.env.MAILPROBE_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (sources.passFile) return readPassFile(sources.passFile);
  if (sources.prompt) return sources.prompt(question);
  throw new MailprobeError('USAGE', 'no password or token given', {
    hint: 'type it after the user name, set MAILPROBE_PASSWORD, or use --pass-file FILE',
  });
}
