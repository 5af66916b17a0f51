// How every real-server suite starts: its body runs when its servers can be had; otherwise
// CI and root (where they could have been installed) fail loudly, and anyone else sees the
// suite skipped and why — never counted as passed.
import { describe, expect, it } from 'vitest';
import type { ServerAvailability } from './realServers.js';

export function withRealServers(name: string, availability: ServerAvailability, body: () => void): void {
  if (availability.ok) return body();
  const message = `REAL-SERVER TESTS DID NOT RUN: ${availability.reason}`;
  console.warn(message);
  if (process.env.CI || process.getuid?.() === 0) {
    describe(name, () => {
      it('is installed', () => {
        expect.fail(message);
      });
    });
  } else {
    describe.skip(`${name} (${availability.reason})`, () => {
      it('needs its packages, and root, to run', () => {});
    });
  }
}
