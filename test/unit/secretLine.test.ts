// The hidden password line: the bytes a terminal sends in raw mode, decoded into keys by
// node:readline as the session does, whole and split into one-byte reads.
import { EventEmitter } from 'node:events';
import { emitKeypressEvents } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { SecretLine, type Key, type SecretOutcome } from '../../src/session/secretLine.js';

/** The first outcome other than "typing", or "typing" when the bytes end first. */
function typed(chunks: Buffer[]): SecretOutcome {
  const keys = new EventEmitter();
  emitKeypressEvents(keys as unknown as NodeJS.ReadableStream);
  const line = new SecretLine();
  let outcome: SecretOutcome = { kind: 'typing' };
  keys.on('keypress', (text: string | undefined, key: Key) => {
    if (outcome.kind === 'typing') outcome = line.key(text, key);
  });
  for (const chunk of chunks) keys.emit('data', chunk);
  return outcome;
}

const bytewise = (bytes: Buffer) => [...bytes].map((byte) => Buffer.from([byte]));

describe('SecretLine', () => {
  it.each<[string, string, SecretOutcome]>([
    ['Enter (CR) answers', 'hunter2\r', { kind: 'answered', secret: 'hunter2' }],
    ['Enter (LF) answers', 'hunter2\n', { kind: 'answered', secret: 'hunter2' }],
    ['spaces are part of it', ' a b \r', { kind: 'answered', secret: ' a b ' }],
    ['UTF-8 and astral characters are whole characters', 'pä😀\x7f\r', { kind: 'answered', secret: 'pä' }],
    ['Backspace (DEL) removes the last character', 'secrex\x7ft\r', { kind: 'answered', secret: 'secret' }],
    ['Ctrl-H is Backspace', 'secrex\bt\r', { kind: 'answered', secret: 'secret' }],
    ['Ctrl-U clears the line', 'wrong guess\x15right\r', { kind: 'answered', secret: 'right' }],
    ['Ctrl-W removes the last word', 'pass word\x17!\r', { kind: 'answered', secret: 'pass !' }],
    ['Alt-Backspace removes the last word', 'ab  \x1b\x7fcd\r', { kind: 'answered', secret: 'cd' }],
    ['Backspace on an empty line does nothing', '\x7f\x7fok\r', { kind: 'answered', secret: 'ok' }],
    ['arrows and function keys are dropped', 'se\x1b[Dcr\x1b[Aet\x1bOP\x1b[15~\r', { kind: 'answered', secret: 'secret' }],
    ['Tab and other control keys are dropped', 'a\tb\x01c\x1a\r', { kind: 'answered', secret: 'abc' }],
    ['an empty line is no answer', '\r', { kind: 'cancelled' }],
    ['a line emptied with Ctrl-U is no answer', 'abc\x15\r', { kind: 'cancelled' }],
    ['Ctrl-D is no answer', '\x04', { kind: 'cancelled' }],
    ['Ctrl-D is no answer after typing too', 'half\x04\r', { kind: 'cancelled' }],
    ['Ctrl-C interrupts', 'half\x03', { kind: 'interrupted' }],
    ['nothing ends the line before Enter', 'no enter yet', { kind: 'typing' }],
  ])('%s', (_name, input, expected) => {
    const bytes = Buffer.from(input, 'utf8');
    expect(typed([bytes])).toEqual(expected);
    expect(typed(bytewise(bytes))).toEqual(expected);
  });
});
