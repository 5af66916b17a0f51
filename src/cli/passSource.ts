// openssl's pass-phrase sources (openssl-passphrase-options(1)), for -pass and -proxy_pass:
// pass:TEXT, env:VAR, file:PATH and fd:N (the first line). `stdin` is refused: standard
// input carries the session.
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

export function readPassSource(source: string, flag: string, env: NodeJS.ProcessEnv): string {
  const colon = source.indexOf(':');
  const kind = colon < 0 ? source : source.slice(0, colon);
  const rest = colon < 0 ? '' : source.slice(colon + 1);
  const firstLine = (text: string) => text.split(/\r?\n/, 1)[0] ?? '';
  const read = (what: string | number, shown: string) => {
    try {
      return firstLine(readFileSync(what, 'utf8'));
    } catch (error) {
      throw usageError(`${flag} ${shown}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  switch (kind) {
    case 'pass':
      return rest;
    case 'env': {
      const value = env[rest];
      if (value === undefined) throw usageError(`${flag} env:${rest}: the environment variable ${rest} is not set`);
      return value;
    }
    case 'file':
      return read(rest, `file:${rest}`);
    case 'fd': {
      if (!/^\d+$/.test(rest)) throw usageError(`${flag} fd:${rest}: not a file descriptor number`);
      return read(Number(rest), `fd:${rest}`);
    }
    case 'stdin':
      throw usageError(`${flag} stdin: standard input carries the session`, 'use file:PATH, env:VAR or fd:N');
    default:
      throw usageError(`${flag}: "${kind}" is not a pass-phrase source`, 'write pass:TEXT, env:VAR, file:PATH or fd:N, as openssl does');
  }
}
