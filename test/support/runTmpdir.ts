// vitest's global set-up: one temporary directory for the whole test run, given to every
// test file and every process they start as TMPDIR, and removed when the run ends. The
// tests make thousands of scripts, logs, certificates and server directories; without this
// each run would leave them all in /tmp.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-tests-'));
  // As /tmp itself: the real servers' own users (postfix, dovecot, nobody) make files here too.
  chmodSync(dir, 0o1777);
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
