// Debian packages a real-server suite needs: present, or (as root) installed with apt-get
// the way .ci/run does; otherwise the answer says what is missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

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

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/** A packaged service whose daemon may have been started by its installation. */
export interface SystemService {
  name: string;
  pidFile: string;
}

/** The process in a pid file is alive. */
function pidFileAlive(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!(pid > 0)) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * ensurePackages, with the packaged services kept from starting: a policy-rc.d that
 * forbids it is in place while apt-get runs (made here only if absent, removed again),
 * and a service that started all the same is stopped.
 */
export function ensurePackagesNoStart(required: Required, services: readonly SystemService[]): ServerAvailability {
  if (missingPackages(required).length === 0 || process.getuid?.() !== 0) return ensurePackages(required);
  let madePolicy = false;
  if (!existsSync(POLICY_RC_D)) {
    try {
      writeFileSync(POLICY_RC_D, '#!/bin/sh\nexit 101\n', { mode: 0o755, flag: 'wx' });
      madePolicy = true;
    } catch {
      /* made by someone else meanwhile: theirs */
    }
  }
  try {
    return ensurePackages(required);
  } finally {
    if (madePolicy) rmSync(POLICY_RC_D, { force: true });
    for (const service of services) {
      if (!pidFileAlive(service.pidFile)) continue;
      try {
        execFileSync('service', [service.name, 'stop'], { stdio: 'ignore', timeout: 30_000 });
      } catch {
        /* the suite's own instances use other ports */
      }
    }
  }
}

