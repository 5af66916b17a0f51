// The helper commands, by name. Helpers are typed on a line of their own starting with
// ":", which no mail protocol command does; they are off inside SMTP DATA content.
import { authHelper } from './auth.js';
import { decodeHelper, encodeHelper, plainHelper } from './codec.js';
import type { Helper } from './context.js';
import { capsHelper, certHelper, helpHelper, quitHelper, tlsHelper } from './info.js';
import { mailHelper, sendHelper } from './message.js';
import { xclientHelper, xforwardHelper } from './forward.js';

export const HELPER_PREFIX = ':';

const list: Helper[] = [];
list.push(authHelper, encodeHelper, decodeHelper, plainHelper, sendHelper, mailHelper, xclientHelper, xforwardHelper, tlsHelper, certHelper, capsHelper, quitHelper, helpHelper(() => list));

export const HELPERS: ReadonlyMap<string, Helper> = new Map(list.map((helper) => [helper.name, helper]));

export type HelperLine = { kind: 'helper'; helper: Helper; args: string } | { kind: 'unknown'; name: string } | { kind: 'verbatim'; line: string };

/** Is this line a helper command, an escaped colon line ("::x" sends ":x"), or neither? */
export function parseHelperLine(line: string): HelperLine | undefined {
  if (!line.startsWith(HELPER_PREFIX)) return undefined;
  if (line.startsWith(HELPER_PREFIX + HELPER_PREFIX)) return { kind: 'verbatim', line: line.slice(1) };
  const match = /^:(\S*)\s?(.*)$/s.exec(line);
  const name = (match?.[1] ?? '').toLowerCase();
  const helper = HELPERS.get(name);
  return helper ? { kind: 'helper', helper, args: match?.[2] ?? '' } : { kind: 'unknown', name };
}
