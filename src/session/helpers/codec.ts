// :encode, :decode and :plain — base64 both ways, safe for any character (NUL, @,
// digits after NUL, non-ASCII as UTF-8), without a Perl one-liner.
import { MailprobeError } from '../../errors.js';
import { describeDecoded, decodeBase64Strict, encodeBase64 } from '../../sasl/index.js';
import { escapeText } from '../../terminal/escape.js';
import type { Helper } from './context.js';

/** Backslash escapes in :encode's argument: \0 \n \r \t \\ and \xNN. */
export function unescapeArgument(text: string): Buffer {
  const bytes: number[] = [];
  const utf8 = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 === text.length) {
      utf8(c);
      continue;
    }
    const next = text[++i];
    if (next === '0') bytes.push(0);
    else if (next === 'n') bytes.push(10);
    else if (next === 'r') bytes.push(13);
    else if (next === 't') bytes.push(9);
    else if (next === '\\') bytes.push(92);
    else if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else utf8(`\\${next}`);
  }
  return Buffer.from(bytes);
}

/** AUTH PLAIN's payload: authzid NUL user NUL password (RFC 4616), base64. */
export function plainString(user: string, password: string, authzid = ''): string {
  return encodeBase64(Buffer.from(`${authzid}\0${user}\0${password}`, 'utf8'));
}

export const encodeHelper: Helper = {
  name: 'encode',
  usage: ':encode TEXT',
  summary: 'base64 of TEXT (UTF-8; \\0 \\n \\t \\\\ \\xNN escapes allowed)',
  async run(context, args) {
    context.printer.lines([escapeText(encodeBase64(unescapeArgument(args.replace(/^ /, ''))))]);
  },
};

export const decodeHelper: Helper = {
  name: 'decode',
  usage: ':decode BASE64',
  summary: 'decode base64 (binary shown as hex)',
  async run(context, args) {
    const bytes = decodeBase64Strict(args.trim());
    if (!bytes) throw new MailprobeError('USAGE', `"${escapeText(args.trim())}" is not valid base64`);
    const decoded = describeDecoded(bytes);
    context.printer.lines([decoded.kind === 'text' ? escapeText(decoded.text, context.printer.palette.escape) : escapeText(`binary: ${decoded.hex}`)]);
  },
};

export const plainHelper: Helper = {
  name: 'plain',
  usage: ':plain USER PASSWORD',
  summary: 'print the AUTH PLAIN string for USER and PASSWORD (the rest of the line)',
  async run(context, args) {
    const match = /^\s*(\S+)\s(.*)$/s.exec(args);
    if (!match) throw new MailprobeError('USAGE', 'usage: :plain USER PASSWORD');
    context.printer.lines([escapeText(plainString(match[1], match[2]))]);
  },
};
