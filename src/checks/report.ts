// How `mailprobe check` reports look: one line per check with its verdict, a target's
// lines kept together; and the JSON document (shape documented in README).
import type { TargetReport, Verdict } from './types.js';
import { escapeText } from '../terminal/escape.js';
import { jsonDocument } from '../terminal/json.js';
import type { Palette } from '../terminal/style.js';

function verdictWord(verdict: Verdict | 'error', p: Palette): string {
  const word = verdict.padEnd(5);
  if (verdict === 'ok') return p.good(word);
  if (verdict === 'warn') return p.warn(word);
  if (verdict === 'info') return p.note(word);
  return p.error(word);
}

export function formatTargetReport(report: TargetReport, p: Palette, onlyFailures = false): string[] {
  const mode = report.mode === 'starttls' ? `STARTTLS ${report.protocol}` : report.mode === 'tls' ? `implicit TLS ${report.protocol}` : `plaintext ${report.protocol}`;
  const checks = onlyFailures ? report.checks.filter((c) => c.verdict === 'fail') : report.checks;
  if (onlyFailures && checks.length === 0) return [];
  const width = Math.max(...report.checks.map((c) => c.id.length));
  return [
    `${p.bold(report.target)} (${mode}): ${verdictWord(report.verdict, p).trim()} in ${report.timings.totalMs} ms`,
    ...checks.map((c) => `  ${verdictWord(c.verdict, p)} ${c.id.padEnd(width)}  ${escapeText(c.summary, p.escape)}`),
  ];
}

export function checkJson(reports: TargetReport[], version: string, exitCode: number): string {
  return jsonDocument({ mailprobe: version, exitCode, targets: reports });
}
