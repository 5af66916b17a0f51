// Line editing and history on a terminal (node:readline). Output that arrives while the
// user types is printed above the prompt and the half-typed line is redrawn intact.
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import type { Printer } from '../terminal/printer.js';

export interface TerminalHandlers {
  line(line: string): void;
  end(): void;
  interrupt(): void;
}

export interface TerminalInput {
  close(): void;
  /** Asks for a secret without echo (readline-sync reads the terminal directly). */
  askSecret(question: string): string | undefined;
  /** Asks a yes/no question on the prompt line; anything but y/yes is no. */
  confirm(question: string): Promise<boolean>;
}

export const PROMPT = '> ';

/**
 * node:readline and readline-sync are loaded only when a terminal needs them: piped sessions
 * start faster. By require, not import(): bin/mailprobe.cjs runs the bundle from V8's code
 * cache through node:vm, where import() is unavailable.
 */
export async function startTerminalInput(
  input: Readable,
  output: Writable & { isTTY?: boolean },
  printer: Printer,
  handlers: TerminalHandlers,
): Promise<TerminalInput> {
  const lazyRequire = createRequire(import.meta.url);
  const { clearLine, createInterface, cursorTo } = lazyRequire('node:readline') as typeof import('node:readline');
  const readlineSync = lazyRequire('readline-sync') as typeof import('readline-sync');
  const terminal = !!output.isTTY;
  const rl = createInterface({ input, output, terminal, prompt: terminal ? PROMPT : '', historySize: 1000 });
  let closed = false;
  if (terminal) {
    printer.hooks = {
      hide: () => {
        clearLine(output, 0);
        cursorTo(output, 0);
      },
      show: () => {
        if (!closed) rl.prompt(true);
      },
    };
  }
  rl.on('line', (line) => {
    handlers.line(line);
    if (terminal && !closed) rl.prompt();
  });
  rl.on('close', () => {
    if (closed) return;
    closed = true;
    printer.hooks = undefined;
    handlers.end();
  });
  rl.on('SIGINT', () => {
    closed = true;
    printer.hooks = undefined;
    handlers.interrupt();
  });
  if (terminal) rl.prompt();
  // node:readline owns the terminal while the session runs; it steps aside while
  // readline-sync asks, so the keys typed go to the question and are not echoed.
  const aside = <T>(ask: () => T): T => {
    rl.pause();
    printer.hooks?.hide();
    try {
      return ask();
    } finally {
      // readline-sync puts the terminal back in cooked mode when it is done.
      (input as { setRawMode?: (raw: boolean) => void }).setRawMode?.(true);
      rl.resume();
      if (terminal && !closed) rl.prompt(true);
    }
  };
  return {
    askSecret: (question) =>
      aside(() => {
        const answer = readlineSync.question(question, { hideEchoBack: true, mask: '' });
        return answer;
      }),
    confirm: (question) =>
      new Promise((resolve) => {
        if (closed) return resolve(false);
        rl.question(question, (answer) => resolve(/^y(es)?$/i.test(answer.trim())));
      }),
    close() {
      if (closed) {
        rl.close();
        return;
      }
      closed = true;
      printer.hooks = undefined;
      if (terminal) output.write('\n');
      rl.close();
    },
  };
}
