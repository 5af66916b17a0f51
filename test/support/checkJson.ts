// The documented shape of `mailprobe check --json` (README, "JSON output"), checked field
// by field: returns the list of problems, empty when the document conforms.
const VERDICTS = ['ok', 'warn', 'fail', 'info'];

export function validateCheckJson(doc: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc)) return ['document is not an object'];
  need(typeof doc.mailprobe === 'string', 'mailprobe (version) is a string');
  need([0, 1, 2, 3].includes(doc.exitCode as number), 'exitCode is 0-3');
  need(Array.isArray(doc.targets), 'targets is an array');
  for (const [i, target] of ((doc.targets as unknown[]) ?? []).entries()) {
    if (!isObject(target)) {
      problems.push(`targets[${i}] is not an object`);
      continue;
    }
    need(typeof target.target === 'string' && typeof target.host === 'string' && typeof target.port === 'number', `targets[${i}] target/host/port`);
    need(['starttls', 'tls', 'plain'].includes(target.mode as string), `targets[${i}].mode`);
    need(typeof target.protocol === 'string', `targets[${i}].protocol`);
    need([...VERDICTS, 'error'].includes(target.verdict as string), `targets[${i}].verdict`);
    need([0, 1, 2, 3].includes(target.exitCode as number), `targets[${i}].exitCode`);
    const timings = target.timings;
    need(isObject(timings) && typeof timings.totalMs === 'number', `targets[${i}].timings.totalMs`);
    if (isObject(timings)) {
      for (const key of ['connectMs', 'greetingMs', 'tlsMs']) need(timings[key] === undefined || typeof timings[key] === 'number', `targets[${i}].timings.${key}`);
    }
    need(Array.isArray(target.checks), `targets[${i}].checks`);
    for (const [j, check] of ((target.checks as unknown[]) ?? []).entries()) {
      if (!isObject(check)) {
        problems.push(`targets[${i}].checks[${j}] is not an object`);
        continue;
      }
      need(typeof check.id === 'string' && /^[a-z_]+(\.[a-z_]+)?$/.test(check.id), `targets[${i}].checks[${j}].id`);
      need(VERDICTS.includes(check.verdict as string), `targets[${i}].checks[${j}].verdict`);
      need(typeof check.summary === 'string', `targets[${i}].checks[${j}].summary`);
      need(check.details === undefined || isObject(check.details), `targets[${i}].checks[${j}].details`);
    }
  }
  return problems;
}
