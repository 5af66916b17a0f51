// Everything mailprobe shows goes through here: server lines escaped and coloured, lines
// sent marked, notes and errors. On a terminal the session installs prompt hooks so a line
// printed while the user types appears above the prompt and the half-typed line is redrawn.
import type { Writable } from 'node:stream';
import type { MailprobeError } from '../errors.js';
import type { ServerLine } from '../protocols/types.js';
import { escapeBytes, escapeText } from './escape.js';
import { safe, type SafeText } from './safeText.js';
import type { Palette } from './style.js';
import type { Transcript } from './transcript.js';

export interface PromptHooks {
  /** Clears the prompt line before output. */
  hide(): void;
  /** Redraws the prompt and what the user has typed so far. */
  show(): void;
}

/** Marks in front of lines that went to the server. */
export const SENT_MARK = { user: '-> ', mailprobe: '=> ' } as const;

export class Printer {
  hooks?: PromptHooks;
  transcript?: Transcript;
  /** Traffic now goes inside TLS (for the transcript's marks). */
  tls = false;

  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
    readonly palette: Palette,
    readonly quiet = false,
  ) {}

  private write(stream: Writable, lines: SafeText[]): void {
    if (lines.length === 0) return;
    this.hooks?.hide();
    stream.write(lines.join('\n') + '\n');
    this.hooks?.show();
  }

  /**
   * mailprobe's own multi-line output (reports): shown, and kept in the transcript as notes.
   * SafeText only: whatever came from the network in them went through the escaper.
   */
  lines(lines: SafeText[]): void {
    for (const line of lines) this.transcript?.note(stripStyle(line));
    this.write(this.out, lines);
  }

  formatServer(line: ServerLine): SafeText {
    // A message that is not a text line (BER, a packet) is shown as its rendering, escaped alike.
    const text = line.shown === undefined ? escapeBytes(line.bytes, this.palette.escape) : this.escaped(line.shown);
    const shown = line.literal ? text : this.palette.tone(line.tone, text);
    // A line cut short is marked; a rendered binary message is whole though it has no line ending.
    const cut = line.ending === 'none' && !line.literal && line.shown === undefined;
    return cut ? safe`${shown}${this.palette.note(safe` \u2026`)}` : shown;
  }

  /** Server lines, each with an optional annotation (a decoded challenge, a matched tag). */
  server(lines: ServerLine[], annotate?: (line: ServerLine) => string | undefined): void {
    const shown: SafeText[] = [];
    for (const line of lines) {
      if (onTheWire(line)) this.transcript?.received(line.bytes, this.tls);
      const note = annotate?.(line);
      // Annotations carry server-chosen text (a decoded challenge): escaped like the line.
      shown.push(note ? safe`${this.formatServer(line)}${this.palette.note(safe`  ${this.escaped(note)}`)}` : this.formatServer(line));
    }
    this.write(this.out, shown);
  }

  /** Server lines the display hides (-quiet): the transcript records the wire all the same. */
  recorded(lines: ServerLine[]): void {
    for (const line of lines) if (onTheWire(line)) this.transcript?.received(line.bytes, this.tls);
  }

  /** A line that went to the server, as shown (secrets already redacted); echo=false logs only. */
  sent(text: string, by: keyof typeof SENT_MARK, echo = true): void {
    this.transcript?.sent(text, this.tls);
    if (echo) this.write(this.out, [this.palette.sent(safe`${SENT_MARK[by] as SafeText}${this.escaped(text)}`)]);
  }

  // note, result and warn escape what they are given (the transcript escapes its own copy):
  // a caller that puts a server's reply, a mailbox name or a user name into the text cannot
  // forget to. They take one line of plain text; a newline in it is shown as \n.
  private escaped(text: string): SafeText {
    return escapeText(text, this.palette.escape);
  }

  note(text: string): void {
    this.transcript?.note(text);
    if (!this.quiet) this.write(this.out, [this.palette.note(safe`-- ${this.escaped(text)}`)]);
  }

  /**
   * How something the user asked for went (a helper: "authenticated as …", "sent 412
   * bytes"): a note like any other, so hidden by -quiet, where the server's own reply says
   * it. What the user asked to see (:decode, :caps, :cert) comes through lines() instead.
   */
  result(text: string): void {
    this.note(text);
  }

  warn(text: string): void {
    this.transcript?.note(`warning: ${text}`);
    this.write(this.err, [this.palette.warn(safe`mailprobe: warning: ${this.escaped(text)}`)]);
  }

  /** One line saying what went wrong and what to do; any raw bytes follow, escaped. */
  error(error: MailprobeError): void {
    const message = error.hint ? safe`${this.escaped(error.message)}; ${this.escaped(error.hint)}` : this.escaped(error.message);
    this.transcript?.note(`error: ${error.message}${error.hint ? `; ${error.hint}` : ''}`);
    const lines = [this.palette.error(safe`mailprobe: ${message}`)];
    if (error.reply) lines.push(...error.reply.split('\n').map((line) => safe`   server said: ${this.escaped(line)}`));
    if (error.bytes?.length) {
      lines.push(safe`   bytes received (${error.bytes.length}): ${escapeBytes(error.bytes, this.palette.escape)}`);
    }
    this.write(this.err, lines);
  }
}

/** Removes colour codes (reports are kept as plain text in the transcript). */
function stripStyle(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/**
 * The transcript records the wire: a rendered message's further lines (a search entry's
 * attribute values, `shown` with no bytes of their own) are already in its first line's bytes.
 */
const onTheWire = (line: ServerLine): boolean => line.shown === undefined || line.bytes.length > 0;
