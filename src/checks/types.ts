// A check's result as plain data: the text report and --json are both made from it.
export type Verdict = 'ok' | 'warn' | 'fail' | 'info';

export interface CheckResult {
  /** Stable id, e.g. "certificate.expiry" (documented in README). */
  id: string;
  verdict: Verdict;
  /** One line for people. */
  summary: string;
  /** Machine-readable facts behind the verdict. */
  details?: Record<string, unknown>;
}

export interface TargetReport {
  target: string;
  host: string;
  port: number;
  mode: 'starttls' | 'tls' | 'plain';
  protocol: string;
  /** Worst verdict of the checks; "error" when the checks could not run at all. */
  verdict: Verdict | 'error';
  exitCode: number;
  timings: { connectMs?: number; greetingMs?: number; tlsMs?: number; totalMs: number };
  checks: CheckResult[];
  /** Why the checks could not run (DNS, connect, usage). */
  error?: string;
  /** check --mx: the domain, the MX host this address belongs to, its preference, the address. */
  domain?: string;
  mx?: string;
  preference?: number;
  address?: string;
  /** check --srv: the SRV target this address belongs to. */
  srvTarget?: string;
}

/** 0 all ok, 1 warnings only, 2 a check failed, 3 could not run. */
export const CHECK_EXIT = { OK: 0, WARN: 1, FAIL: 2, ERROR: 3 } as const;

export function worst(checks: CheckResult[]): Verdict {
  if (checks.some((c) => c.verdict === 'fail')) return 'fail';
  if (checks.some((c) => c.verdict === 'warn')) return 'warn';
  return 'ok';
}

export function exitCodeOf(verdict: TargetReport['verdict']): number {
  if (verdict === 'error') return CHECK_EXIT.ERROR;
  if (verdict === 'fail') return CHECK_EXIT.FAIL;
  if (verdict === 'warn') return CHECK_EXIT.WARN;
  return CHECK_EXIT.OK;
}
