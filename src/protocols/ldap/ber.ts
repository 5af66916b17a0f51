// The small part of BER (X.690 §8) that LDAP uses (RFC 4511 §5.1): one-byte tags,
// definite lengths only, no recursion. Reading is bounded: a length longer than what holds
// it, or than MAX_MESSAGE_BYTES, is an error, never an allocation. Writing builds the few
// requests mailprobe sends.

/** The largest LDAPMessage accepted (RFC 4511 sets none; a RootDSE is a few KiB). */
export const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * Long-form length octets accepted: 4 covers any length up to MAX_MESSAGE_BYTES. Non-minimal
 * lengths (0x84 00 00 00 05) are allowed: Active Directory writes every length that way,
 * and RFC 4511 asks only for the definite form.
 */
const MAX_LENGTH_OCTETS = 4;

export class BerError extends Error {}

export interface Tlv {
  /** The identifier octet: class, constructed bit and tag number together (0x30, 0x78 …). */
  tag: number;
  /** The contents octets. */
  value: Buffer;
}

export type Header = { tag: number; headerBytes: number; length: number } | 'incomplete';

/**
 * The identifier and length at `offset`, or 'incomplete' when more bytes are needed to
 * know them. Throws BerError for what LDAP never sends: high tag numbers, the indefinite
 * form, more than 4 length octets, or a length above `max`.
 */
export function readHeader(bytes: Buffer, offset = 0, max = MAX_MESSAGE_BYTES): Header {
  if (bytes.length - offset < 2) return 'incomplete';
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError(`high tag number form (0x${hex(tag)}) is not LDAP`);
  const first = bytes[offset + 1]!;
  let octets = 0;
  let length = first;
  if (first >= 0x80) {
    octets = first & 0x7f;
    if (octets === 0) throw new BerError('indefinite length (0x80) is not allowed in LDAP (RFC 4511 §5.1)');
    if (octets > MAX_LENGTH_OCTETS) throw new BerError(`a length of ${octets} octets (0x${hex(first)}) is longer than any LDAP message`);
    if (bytes.length - offset < 2 + octets) return 'incomplete';
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
  }
  if (length > max) throw new BerError(`a length of ${length} bytes is above the limit of ${max}`);
  return { tag, headerBytes: 2 + octets, length };
}

/** The TLVs inside `value`, in order; each must fit exactly. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < value.length) {
    const header = readHeader(value, offset, value.length);
    if (header === 'incomplete') throw new BerError('an element is cut short');
    const start = offset + header.headerBytes;
    const end = start + header.length;
    if (end > value.length) throw new BerError(`an element of ${header.length} bytes overruns its container`);
    out.push({ tag: header.tag, value: value.subarray(start, end) });
    offset = end;
  }
  return out;
}

/** The one TLV that is all of `bytes` (an LDAPMessage). */
export function single(bytes: Buffer): Tlv {
  const [tlv, ...rest] = children(bytes);
  if (!tlv || rest.length > 0) throw new BerError('not exactly one element');
  return tlv;
}

/** A non-negative INTEGER or ENUMERATED of at most 31 bits (messageID, resultCode, scope). */
export function readUnsigned(tlv: Tlv, what: string): number {
  const { value } = tlv;
  if (value.length === 0 || value.length > 5) throw new BerError(`${what}: an integer of ${value.length} bytes`);
  if (value[0]! & 0x80) throw new BerError(`${what}: negative`);
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  if (n > 0x7fffffff) throw new BerError(`${what}: above 2^31-1`);
  return n;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new BerError(`${what} is missing`);
  if (tlv.tag !== tag) throw new BerError(`${what}: tag 0x${hex(tlv.tag)} where 0x${hex(tag)} belongs`);
  return tlv;
}

const hex = (byte: number) => byte.toString(16).padStart(2, '0');

// ---------------------------------------------------------------------------------------
// Writing (definite, minimal lengths)

export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const value = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lengthOctets(value.length), value]);
}

function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

/** A non-negative INTEGER (0x02) or ENUMERATED (0x0a), minimal. */
export function unsigned(tag: number, n: number): Buffer {
  const octets: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  if (octets.length === 0 || octets[0]! & 0x80) octets.unshift(0);
  return tlv(tag, Buffer.from(octets));
}

export const octetString = (text: string | Buffer, tag = 0x04): Buffer => tlv(tag, Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));
