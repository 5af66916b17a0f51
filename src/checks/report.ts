// How `mailprobe check` reports look: one line per check with its verdict, a target's
// lines kept together; and the JSON document (shape documented in README).
import type { TargetReport, Verdict } from './types.js';
import type { DomainReport } from './domain.js';
import { escapeText } from '../terminal/escape.js';
import { jsonDocument } from '../terminal/json.js';
import { safe, type SafeText } from '../terminal/safeText.js';
import type { Palette } from '../terminal/style.js';

function verdictWord(verdict: Verdict | 'error', p: Palette): SafeText {
  const word = escapeText(verdict.padEnd(5));
  if (verdict === 'ok') return p.good(word);
  if (verdict === 'warn') return p.warn(word);
  if (verdict === 'info') return p.note(word);
  return p.error(word);
}

export function formatTargetReport(report: TargetReport, p: Palette, onlyFailures = false): SafeText[] {
  const e = (text: string) => escapeText(text, p.escape);
  const mode = e(report.mode === 'starttls' ? `STARTTLS ${report.protocol}` : report.mode === 'tls' ? `implicit TLS ${report.protocol}` : `plaintext ${report.protocol}`);
  const checks = onlyFailures ? report.checks.filter((c) => c.verdict === 'fail') : report.checks;
  if (onlyFailures && checks.length === 0) return [];
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const named = report.mx ?? report.srvTarget;
  const name = named ? safe`${p.bold(e(named))} ${e(report.target)}` : p.bold(e(report.target));
  return [
    safe`${name} (${mode}): ${verdictWord(report.verdict, p).trim() as SafeText} in ${report.timings.totalMs} ms`,
    ...checks.map((c) => safe`  ${verdictWord(c.verdict, p)} ${e(c.id.padEnd(width))}  ${e(c.summary)}`),
  ];
}

/** A domain's block opens with its own findings: MX, MTA-STS, TLS-RPT. */
export function formatDomainHeader(report: DomainReport, p: Palette): SafeText[] {
  const e = (text: string) => escapeText(text, p.escape);
  const width = Math.max(0, ...report.checks.map((c) => c.id.length));
  return [
    p.bold(safe`Domain ${e(report.domain)}`),
    ...report.checks.map((c) => safe`  ${verdictWord(c.verdict, p)} ${e(c.id.padEnd(width))}  ${e(c.summary)}`),
    ...(report.error ? [safe`  ${verdictWord('error', p)} ${e(report.error)}`] : []),
  ];
}

/** The domain's one-line summary, after its hosts. */
export function formatDomainSummary(report: DomainReport, targets: TargetReport[], p: Palette): SafeText[] {
  const e = (text: string) => escapeText(text, p.escape);
  const counts = (['ok', 'warn', 'fail', 'error'] as const).map((verdict) => [verdict, targets.filter((t) => t.verdict === verdict).length] as const).filter(([, n]) => n > 0);
  const tally = counts.map(([verdict, n]) => `${n} ${verdict}`).join(', ') || 'none checked';
  return [safe`${p.bold(e(report.domain))}: ${verdictWord(report.verdict, p).trim() as SafeText} (${targets.length} MX addresses: ${e(tally)})`];
}

export function checkJson(reports: TargetReport[], version: string, exitCode: number, domains?: DomainReport[]): string {
  return jsonDocument({ mailprobe: version, exitCode, targets: reports, ...(domains ? { domains } : {}) });
}
