// The hidden line a password or token is typed on: what each key does to it. Pure: the
// keys come as node:readline's keypress events, and the tests feed them directly.
//
//   Enter             the answer; on an empty line, no answer (see below)
//   Ctrl-D            no answer, whatever was typed
//   Ctrl-C            interrupted: the session ends (exit 130), as everywhere else
//   Backspace, Ctrl-H the last character;  Alt-Backspace, Ctrl-W the last word
//   Ctrl-U            the whole line
//   anything else     printable characters are kept; arrows, function keys and other
//                     control keys are dropped, never added to the secret
//
// An empty line gives no answer rather than an empty password: nothing shows what was typed,
// so Enter on an empty line is a slip or a change of mind far more often than a password
// that is really empty (that one can come from --pass-file).

/** The parts of a node:readline keypress that matter here. */
export interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

export type SecretOutcome =
  | { kind: 'typing' }
  | { kind: 'answered'; secret: string }
  | { kind: 'cancelled' }
  | { kind: 'interrupted' };

const TYPING: SecretOutcome = { kind: 'typing' };

/** C0 and C1 control characters and DEL: never part of a typed secret. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export class SecretLine {
  /** Code points, so Backspace never leaves half a surrogate pair. */
  private readonly typed: string[] = [];

  /** One key: text is what node:readline passes first (undefined for escape sequences). */
  key(text: string | undefined, key: Key = {}): SecretOutcome {
    if (key.ctrl && key.name === 'c') return { kind: 'interrupted' };
    if (key.ctrl && key.name === 'd') return { kind: 'cancelled' };
    if (key.name === 'return' || key.name === 'enter') {
      return this.typed.length === 0 ? { kind: 'cancelled' } : { kind: 'answered', secret: this.typed.join('') };
    }
    if (key.name === 'backspace') {
      if (key.meta) this.deleteWord();
      else this.typed.pop();
      return TYPING;
    }
    if (key.ctrl && key.name === 'w') {
      this.deleteWord();
      return TYPING;
    }
    if (key.ctrl && key.name === 'u') {
      this.typed.length = 0;
      return TYPING;
    }
    if (key.ctrl || key.meta || text === undefined || CONTROL.test(text)) return TYPING;
    this.typed.push(...text);
    return TYPING;
  }

  /** As a terminal's werase: the spaces before the cursor, then the word before them. */
  private deleteWord(): void {
    while (this.typed.length > 0 && this.typed[this.typed.length - 1] === ' ') this.typed.pop();
    while (this.typed.length > 0 && this.typed[this.typed.length - 1] !== ' ') this.typed.pop();
  }
}
