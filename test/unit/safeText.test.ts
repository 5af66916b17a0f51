// Server text that skipped the escaper on its way to the terminal is a compile error: the
// Printer's lines(), the palette and the `safe` template take SafeText only. Checked by
// compiling small programs against the real sources with the TypeScript compiler.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeText } from '../../src/terminal/escape.js';
import { safe, type SafeText } from '../../src/terminal/safeText.js';

const REJECTED: Array<[string, string]> = [
  ['a raw string', 'printer.lines([fromServer]);'],
  ['a template with server text', 'printer.lines([`subject ${fromServer}`]);'],
  ['server text inside safe``', 'printer.lines([safe`subject ${fromServer}`]);'],
  ['server text coloured', 'printer.lines([printer.palette.bold(fromServer)]);'],
];
const ACCEPTED: Array<[string, string]> = [
  ['escaped server text', 'printer.lines([escapeText(fromServer)]);'],
  ['escaped text inside safe`` and coloured', 'printer.lines([printer.palette.bold(safe`subject ${escapeText(fromServer)}`)]);'],
];

const TEST = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(TEST, '.typecheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each case is a function given a Printer and a server line's text; all are compiled in one program. */
const errors = new Map<string, string[]>();
beforeAll(() => {
  const files = [...REJECTED, ...ACCEPTED].map(([name, body], i) => {
    const file = join(dir, `case${i}.ts`);
    writeFileSync(
      file,
      `import type { Printer } from '../../src/terminal/printer.js';\nimport { escapeText } from '../../src/terminal/escape.js';\nimport { safe } from '../../src/terminal/safeText.js';\n` +
        `export function f(printer: Printer, fromServer: string): void {\n  void escapeText; void safe;\n  ${body}\n}\n`,
    );
    errors.set(name, []);
    return [file, name] as const;
  });
  const names = new Map(files);
  const program = ts.createProgram([...names.keys()], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
  });
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file && names.get(diagnostic.file.fileName);
    if (name) errors.get(name)?.push(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  }
}, 60_000);

describe('SafeText', () => {
  it.each(REJECTED)('%s does not compile', (name) => {
    expect(errors.get(name)?.join('\n')).toMatch(/SafeText/);
  });

  it.each(ACCEPTED)('%s compiles', (name) => {
    expect(errors.get(name)).toEqual([]);
  });

  it('safe`` joins its parts and escapeText gives SafeText that keeps no control byte', () => {
    const line: SafeText = safe`subject ${escapeText('CN=\x1b[2Jevil\u202e')} (${3} days)`;
    expect(line).toBe('subject CN=\\e[2Jevil\\u{202e} (3 days)');
  });
});
