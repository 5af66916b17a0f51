// Line editing and history on a terminal (node:readline). Output that arrives while the
// user types is printed above the prompt and the half-typed line is redrawn intact. A
// password or token is asked on the same input, without echo (secretLine.ts).
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { Printer } from '../terminal/printer.js';
import { requireOnUse } from '../requireOnUse.js';
import { SecretLine, type Key } from './secretLine.js';

export interface TerminalHandlers {
  line(line: string): void;
  end(): void;
  interrupt(): void;
}

export interface TerminalInput {
  close(): void;
  /**
   * Asks for a secret without echo: what was typed, or undefined when none was given
   * (Ctrl-D, or Enter on an empty line). Ctrl-C ends the session through the interrupt
   * handler, and then, as when the session closes, the question is never answered.
   */
  askSecret(question: string): Promise<string | undefined>;
  /** Asks a yes/no question on the prompt line; anything but y/yes is no. */
  confirm(question: string): Promise<boolean>;
}

export const PROMPT = '> ';

type TtyInput = Readable & { isRaw?: boolean; setRawMode?(raw: boolean): unknown };

/**
 * node:readline is loaded only when a terminal needs it: piped sessions start faster. By
 * require, not import(): bin/mailprobe.cjs runs the bundle from V8's code cache through
 * node:vm, where import() is unavailable.
 */
export async function startTerminalInput(
  input: TtyInput,
  output: Writable & { isTTY?: boolean },
  printer: Printer,
  handlers: TerminalHandlers,
): Promise<TerminalInput> {
  const { clearLine, createInterface, cursorTo, emitKeypressEvents } = requireOnUse<typeof import('node:readline')>('node:readline');
  const terminal = !!output.isTTY;
  const rl = createInterface({ input, output, terminal, prompt: terminal ? PROMPT : '', historySize: 1000 });
  let closed = false;
  /** The secret question on screen, and how to give the input back to node:readline. */
  let asking: { question: string; giveBack(): void } | undefined;
  if (terminal) {
    printer.hooks = {
      hide: () => {
        clearLine(output, 0);
        cursorTo(output, 0);
      },
      show: () => {
        if (closed) return;
        // Over a secret question only the question is redrawn: what was typed stays hidden.
        if (asking) output.write(asking.question);
        else rl.prompt(true);
      },
    };
  }
  rl.on('line', (line) => {
    handlers.line(line);
    // A helper run by the line may be asking for a secret already: the prompt comes after.
    if (terminal && !closed && !asking) rl.prompt();
  });
  /**
   * Input is over (Ctrl-D, Ctrl-C, the session ended): the prompt line is finished so that
   * what comes next — the QUIT, the closing note, the shell's prompt — starts on a line of
   * its own. A half-typed line stays on screen (it was not sent); a bare prompt is erased.
   */
  const leavePrompt = () => {
    printer.hooks = undefined;
    if (!terminal) return;
    if (rl.line) {
      output.write('\n');
      return;
    }
    clearLine(output, 0);
    cursorTo(output, 0);
  };
  rl.on('close', () => {
    if (closed) return;
    closed = true;
    leavePrompt();
    handlers.end();
  });
  const interrupt = () => {
    if (closed) return;
    closed = true;
    leavePrompt();
    handlers.interrupt();
  };
  rl.on('SIGINT', interrupt);
  if (terminal) rl.prompt();

  /**
   * node:readline cannot lend its input, so what reads it (readline's own 'data' listener,
   * or the keypress decoder readline put there) is set aside while the secret is typed and
   * the keys reach only the question. Raw mode keeps them unechoed and makes Ctrl-C and
   * Ctrl-D plain keys, which SecretLine gives their meaning.
   */
  const askSecret = (question: string) =>
    new Promise<string | undefined>((resolve) => {
      if (closed || asking) return resolve(undefined);
      const readers = input.listeners('data') as ((chunk: Buffer | string) => void)[];
      for (const reader of readers) input.off('data', reader);
      const wasRaw = !!input.isRaw;
      input.setRawMode?.(true);
      // node:readline's own key decoder (escape sequences, UTF-8) on a private emitter: it
      // only listens to 'data', and keys decoded from a chunk come out before emit returns.
      const keys = new EventEmitter();
      emitKeypressEvents(keys as unknown as NodeJS.ReadableStream);
      const line = new SecretLine();
      let done = false;
      /** Keys typed ahead after Enter in the same read: they belong to the prompt. */
      let ahead = '';
      /** A "\n" right after the "\r" that ended the secret is the same Enter (a pasted CRLF). */
      let endedByReturn = false;
      const forward = (chunk: Buffer | string) => {
        keys.emit('data', chunk);
        const text = ahead;
        ahead = '';
        if (text && !closed) for (const reader of readers) reader.call(input, Buffer.from(text));
      };
      const giveBack = () => {
        done = true;
        asking = undefined;
        input.off('data', forward);
        for (const reader of readers) input.on('data', reader);
        if (!wasRaw) input.setRawMode?.(false);
        output.write('\n');
      };
      keys.on('keypress', (text: string | undefined, key: Key | undefined) => {
        if (done) {
          if (!(endedByReturn && ahead === '' && key?.name === 'enter')) ahead += key?.sequence ?? text ?? '';
          endedByReturn = false;
          return;
        }
        const outcome = line.key(text, key);
        if (outcome.kind === 'typing') return;
        endedByReturn = key?.name === 'return';
        giveBack();
        if (outcome.kind === 'interrupted') return interrupt();
        resolve(outcome.kind === 'answered' ? outcome.secret : undefined);
        if (terminal && !closed) rl.prompt(true);
      });
      input.on('data', forward);
      asking = { question, giveBack };
      printer.hooks?.hide();
      output.write(question);
    });

  return {
    askSecret,
    confirm: (question) =>
      new Promise((resolve) => {
        if (closed) return resolve(false);
        rl.question(question, (answer) => resolve(/^y(es)?$/i.test(answer.trim())));
      }),
    close() {
      // The session is over: a secret question is left unanswered (giveBack ends its line).
      asking?.giveBack();
      if (!closed) {
        closed = true;
        leavePrompt();
      }
      rl.close();
    },
  };
}
