// Colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Tone } from '../protocols/types.js';
import type { SafeText } from './safeText.js';

export function colourLevel(env: NodeJS.ProcessEnv, isTty: boolean): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    if (force === '2') return 2;
    if (force === '3') return 3;
    return 1;
  }
  if (!isTty || env.TERM === 'dumb') return 0;
  if (env.COLORTERM === 'truecolor' || env.COLORTERM === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}

/** Styles safe text: colour codes are mailprobe's own, so what comes out is safe too. */
type Style = (text: SafeText) => SafeText;

export interface Palette {
  chalk: ChalkInstance;
  tone(tone: Tone, text: SafeText): SafeText;
  /** Marks an escape the escaper wrote (its input is the escape text itself). */
  escape(text: string): string;
  sent: Style;
  note: Style;
  warn: Style;
  error: Style;
  good: Style;
  bold: Style;
}

export function palette(level: 0 | 1 | 2 | 3): Palette {
  const chalk = new Chalk({ level });
  const tones: Record<Tone, (text: string) => string> = {
    ok: chalk.green,
    intermediate: chalk.cyan,
    tempfail: chalk.yellow,
    permfail: chalk.red,
    bye: chalk.magenta,
    malformed: chalk.red.underline,
    info: (text) => text,
    literal: chalk.dim,
  };
  const style = (paint: (text: string) => string): Style => (text) => paint(text) as SafeText;
  return {
    chalk,
    tone: (tone, text) => tones[tone](text) as SafeText,
    // Escapes stand out in inverse video on a terminal, so they cannot pass for server text.
    escape: level > 0 ? chalk.inverse : (text) => text,
    sent: style(chalk.dim),
    note: style(chalk.blue),
    warn: style(chalk.yellow),
    error: style(chalk.red.bold),
    good: style(chalk.green),
    bold: style(chalk.bold),
  };
}
