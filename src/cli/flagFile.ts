// A file a flag names, read whole; one usage line when it cannot be (exit 2, before anything
// touches the network).
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';

export function readFlagFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw usageError(`cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
