// Debian packages a real-server suite needs: present, or (as root) installed with apt-get
// the way .ci/run does; otherwise the answer says what is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type ServerAvailability = { ok: true } | { ok: false; reason: string };

/** Files that must exist, each with the package that provides it. */
export type Required = ReadonlyArray<readonly [file: string, pkg: string]>;

export const missingPackages = (required: Required): string[] => [...new Set(required.filter(([file]) => !existsSync(file)).map(([, pkg]) => pkg))];

/** Installs what is missing, as root; `debconf` answers questions the packages would ask. */
export function ensurePackages(required: Required, options: { debconf?: string } = {}): ServerAvailability {
  let missing = missingPackages(required);
  if (missing.length === 0) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, reason: `missing packages: ${missing.join(' ')} (root can install them)` };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptOpts = ['-o', 'DPkg::Lock::Timeout=600', '-q'];
  try {
    if (options.debconf) execFileSync('debconf-set-selections', { input: options.debconf, stdio: ['pipe', 'ignore', 'pipe'] });
    try {
      execFileSync('apt-get', [...aptOpts, 'update'], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    } catch {
      // Another apt may hold the lists lock; the package lists may still be good enough.
    }
    execFileSync('apt-get', [...aptOpts, 'install', '-y', '--no-install-recommends', ...missing], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-5).join('\n') ?? '';
    return { ok: false, reason: `apt-get install ${missing.join(' ')} failed: ${(err as Error).message}\n${stderr}` };
  }
  missing = missingPackages(required);
  return missing.length ? { ok: false, reason: `still missing after apt-get: ${missing.join(' ')}` } : { ok: true };
}
