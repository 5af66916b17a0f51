// Strict base64 (RFC 4648 §4) for SASL challenges. Buffer.from(text, 'base64') skips
// characters it does not know ('!!!!' decodes to nothing), so a forged or mangled
// challenge would be read as something else; here anything not canonical is refused.
import { decodeUtf8Strict } from './utf8.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of canonical base64, or undefined. The empty string is an empty challenge. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Canonical also means the unused bits of the last character are zero ('QR==' vs 'QQ==').
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function encodeBase64(data: Buffer | string): string {
  return (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
}

export type DecodedView = { kind: 'text'; text: string } | { kind: 'binary'; hex: string };

const HEX_LIMIT = 64;
// C0 controls except TAB, DEL and C1 controls.
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * How to show decoded bytes: as text when they are UTF-8 that is mostly text (an AUTH PLAIN
 * blob is "\0user\0password": the caller escapes the NULs), else as hex. The text is the
 * server's or the user's: whoever shows it passes it through the escaper.
 */
export function describeDecoded(bytes: Buffer): DecodedView {
  const text = decodeUtf8Strict(bytes);
  const controls = text?.match(CONTROLS)?.length ?? 0;
  if (text !== undefined && controls * 4 <= text.length) return { kind: 'text', text };
  const shown = [...bytes.subarray(0, HEX_LIMIT)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return { kind: 'binary', hex: bytes.length > HEX_LIMIT ? `${shown} …` : shown };
}
