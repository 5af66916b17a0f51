// How `mailprobe check` reports look: one line per check with its verdict, a target's
// lines kept together; and the JSON document (shape documented in README).
import type { TargetReport, Verdict } from './types.js';
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
  return [
    safe`${p.bold(e(report.target))} (${mode}): ${verdictWord(report.verdict, p).trim() as SafeText} in ${report.timings.totalMs} ms`,
    ...checks.map((c) => safe`  ${verdictWord(c.verdict, p)} ${e(c.id.padEnd(width))}  ${e(c.summary)}`),
  ];
}

export function checkJson(reports: TargetReport[], version: string, exitCode: number): string {
  return jsonDocument({ mailprobe: version, exitCode, targets: reports });
}
