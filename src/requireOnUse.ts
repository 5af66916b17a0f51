// Packages and built-ins required when first used, not at start: the bundle leaves the heavy
// ones out (scripts/build.mjs), and a run that never needs one never loads it.
import { createRequire } from 'node:module';

let requireHere: NodeJS.Require | undefined;

/** `require(id)` as from this file; the require itself is made on the first call. */
export function requireOnUse<T>(id: string): T {
  requireHere ??= createRequire(import.meta.url);
  return requireHere(id) as T;
}
