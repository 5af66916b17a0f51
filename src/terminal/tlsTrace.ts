// -msg and -debug, as s_client shows them: one line per TLS handshake message or other
// record (">>>" written, "<<<" read), and for -debug a hex dump of every chunk. Only
// numbers and names from mailprobe's own tables are printed; the dump's text column shows
// printable ASCII and a dot for anything else.
import type { TlsTraceEvent } from '../transport/trace/tracer.js';
import { escapeText } from './escape.js';
import type { SafeText } from './safeText.js';
import type { Palette } from './style.js';

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** 16 bytes a line: offset, hex (a dash between the two halves), and the bytes as text. */
export function hexDump(bytes: Buffer): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((b, i) => `${b.toString(16).padStart(2, '0')}${i === 7 && row.length > 8 ? '-' : ' '}`).join('');
    const text = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${hex4(offset)} - ${hex.padEnd(48)}  ${text}`);
  }
  return lines;
}

export function formatTlsTrace(event: TlsTraceEvent, p: Palette): SafeText[] {
  const arrow = event.direction === 'out' ? '>>>' : '<<<';
  if (event.kind === 'bytes') {
    const head = `${event.direction === 'out' ? 'write to' : 'read from'} the server: ${event.bytes.length} bytes`;
    return [p.note(escapeText(head)), ...hexDump(event.bytes).map((line) => escapeText(line))];
  }
  if (event.kind === 'message') {
    return [p.note(escapeText(`${arrow} ${event.version}, Handshake [length ${hex4(event.length)}], ${event.name}${event.encrypted ? ' (encrypted)' : ''}`))];
  }
  return [p.note(escapeText(`${arrow} ${event.version}, ${event.name} [length ${hex4(event.length)}]${event.note ? `, ${event.note}` : ''}`))];
}
