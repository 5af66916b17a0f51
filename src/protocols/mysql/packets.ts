// MySQL/MariaDB client/server protocol packets: a 3-byte little-endian payload length, a
// sequence id, the payload. What mailprobe reads (the server's initial handshake, protocol
// version 10, and ERR packets) and the one packet it sends, the SSL request (the first 32
// bytes of a HandshakeResponse41, sequence id 1).
import type { Tone } from '../types.js';

export const HEADER_BYTES = 4;

/** Capability flags (the "Capabilities Flags" page of the MySQL protocol docs). */
export const CLIENT_PROTOCOL_41 = 0x0200;
export const CLIENT_SSL = 0x0800;
export const CLIENT_SECURE_CONNECTION = 0x8000;
export const CLIENT_PLUGIN_AUTH = 0x80000;

const OK_HEADER = 0x00;
const ERR_HEADER = 0xff;
const HANDSHAKE_V10 = 10;

export interface Handshake {
  protocolVersion: number;
  serverVersion: string;
  connectionId: number;
  capabilities: number;
  charset?: number;
  status?: number;
  authPlugin?: string;
}

export interface ErrPacket {
  code: number;
  sqlState?: string;
  message: string;
}

/** What a server packet is: the handshake, an ERR, or something else (malformed at this point). */
export type ServerPacket =
  | { kind: 'handshake'; handshake: Handshake }
  | { kind: 'err'; err: ErrPacket }
  | { kind: 'ok' }
  | { kind: 'other'; why: string };

/** The NUL-terminated string at `at`, and where the byte after its NUL is (−1: no NUL). */
function cString(payload: Buffer, at: number): { text: string; next: number } {
  const end = payload.indexOf(0, at);
  if (end < 0) return { text: payload.toString('utf8', at), next: -1 };
  return { text: payload.toString('utf8', at, end), next: end + 1 };
}

/** Protocol::HandshakeV10; `why` when the payload is not one. */
export function parseHandshake(payload: Buffer): Handshake | { why: string } {
  const protocolVersion = payload[0];
  if (protocolVersion !== HANDSHAKE_V10) return { why: `protocol version ${protocolVersion ?? 'missing'}, not 10` };
  const version = cString(payload, 1);
  // connection id (4), auth-plugin-data part 1 (8), filler (1), capability flags lower (2).
  const at = version.next;
  if (at < 0 || payload.length < at + 15) return { why: 'the handshake packet ends too early' };
  const handshake: Handshake = {
    protocolVersion,
    serverVersion: version.text,
    connectionId: payload.readUInt32LE(at),
    capabilities: payload.readUInt16LE(at + 13),
  };
  // Then charset (1), status flags (2), capability flags upper (2), auth data length (1),
  // reserved (10), auth-plugin-data part 2, the auth plugin name.
  const rest = at + 15;
  if (payload.length >= rest + 5) {
    handshake.charset = payload[rest];
    handshake.status = payload.readUInt16LE(rest + 1);
    handshake.capabilities |= payload.readUInt16LE(rest + 3) << 16;
    handshake.capabilities >>>= 0;
    const authDataLength = payload[rest + 5] ?? 0;
    const pluginAt = rest + 6 + 10 + Math.max(13, authDataLength - 8);
    if ((handshake.capabilities & CLIENT_PLUGIN_AUTH) !== 0 && pluginAt < payload.length) {
      handshake.authPlugin = cString(payload, pluginAt).text;
    }
  }
  return handshake;
}

/** ERR_Packet: 0xff, error code (2), then "#" and a 5-character SQL state (protocol 4.1), the message. */
export function parseErr(payload: Buffer): ErrPacket {
  const code = payload.length >= 3 ? payload.readUInt16LE(1) : 0;
  const marked = payload.length >= 9 && payload[3] === 0x23;
  return {
    code,
    sqlState: marked ? payload.toString('latin1', 4, 9) : undefined,
    message: payload.toString('utf8', marked ? 9 : 3),
  };
}

export function classifyPacket(payload: Buffer): ServerPacket {
  if (payload[0] === ERR_HEADER) return { kind: 'err', err: parseErr(payload) };
  if (payload[0] === OK_HEADER) return { kind: 'ok' };
  const handshake = parseHandshake(payload);
  return 'why' in handshake ? { kind: 'other', why: handshake.why } : { kind: 'handshake', handshake };
}

export const sslOffered = (handshake: Handshake): boolean => (handshake.capabilities & CLIENT_SSL) !== 0;

export function describeErr(err: ErrPacket): string {
  return `ERR ${err.code}${err.sqlState ? ` (${err.sqlState})` : ''}: ${err.message}`;
}

export function describeHandshake(h: Handshake): string {
  const parts = [
    `handshake: protocol ${h.protocolVersion}`,
    `server ${h.serverVersion}`,
    `connection id ${h.connectionId}`,
    sslOffered(h) ? 'TLS offered (CLIENT_SSL)' : 'no TLS (CLIENT_SSL not set)',
  ];
  if (h.authPlugin) parts.push(`auth plugin ${h.authPlugin}`);
  return parts.join(', ');
}

/** A readable rendering of one server packet, and its tone. */
export function describePacket(sequence: number, payload: Buffer): { shown: string; tone: Tone } {
  const packet = classifyPacket(payload);
  switch (packet.kind) {
    case 'handshake':
      // Without CLIENT_SSL the dialogue refuses, and says why; in -plain that is no failure.
      return { shown: describeHandshake(packet.handshake), tone: 'ok' };
    case 'err':
      return { shown: describeErr(packet.err), tone: 'permfail' };
    case 'ok':
      return { shown: `OK packet (sequence ${sequence}, ${payload.length} bytes)`, tone: 'info' };
    default:
      return { shown: `packet (sequence ${sequence}, ${payload.length} bytes): ${packet.why}`, tone: 'malformed' };
  }
}

/** utf8_general_ci: a collation every MySQL and MariaDB knows. */
const CHARSET_UTF8 = 33;
const MAX_PACKET = 16 * 1024 * 1024;

/**
 * The SSL request: capability flags with CLIENT_SSL, max packet size, charset, 23 zero
 * bytes; sequence id 1 (it follows the server's handshake, sequence 0).
 */
export function sslRequestPacket(): Buffer {
  const payload = Buffer.alloc(32);
  payload.writeUInt32LE(CLIENT_SSL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION, 0);
  payload.writeUInt32LE(MAX_PACKET, 4);
  payload[8] = CHARSET_UTF8;
  const header = Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, 1]);
  return Buffer.concat([header, payload]);
}
