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
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** How to show decoded challenge bytes: as text when they are clean UTF-8, else as hex. */
export function describeDecoded(bytes: Buffer): DecodedView {
  const text = decodeUtf8Strict(bytes);
  if (text !== undefined && !CONTROL.test(text)) return { kind: 'text', text };
  const shown = [...bytes.subarray(0, HEX_LIMIT)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return { kind: 'binary', hex: bytes.length > HEX_LIMIT ? `${shown} …` : shown };
}
