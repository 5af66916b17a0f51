// The one JSON writer behind every --json document. JSON may carry C1 controls, bidi
// controls and U+2028 raw inside strings; whoever `cat`s the document or feeds it to a
// JavaScript consumer then gets them raw. So every code point the terminal escaper would
// escape is written as a \uXXXX escape (a surrogate pair above U+FFFF): the document is
// safe to print, and JSON.parse still gives back exactly the strings mailprobe had.
import { mustEscape } from './escape.js';

const hex4 = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;

/**
 * What JSON.stringify writes, indented by `indent` spaces (0: one line), with nothing
 * raw: JSON.stringify already escapes C0 controls and lone surrogates in strings, and outside
 * strings it writes only ASCII, so any other code point in its output sits inside a string,
 * key or value, where an escape means the same character.
 */
export function jsonDocument(value: unknown, indent = 2): string {
  const text = JSON.stringify(value, null, indent);
  if (text === undefined) throw new TypeError('jsonDocument: the value has no JSON form');
  return text.replace(/[^\n\x20-\x7e]/gu, (char) => {
    if (!mustEscape(char.codePointAt(0)!)) return char;
    let escaped = '';
    for (let k = 0; k < char.length; k++) escaped += hex4(char.charCodeAt(k));
    return escaped;
  });
}
