// A small streaming XML tokenizer for XMPP streams (RFC 6120 §11): fed bytes in chunks of
// any size, it hands out whole tags, the XML declaration, and runs of text. It never
// throws: what XMPP forbids (comments, DTDs, processing instructions other than the
// declaration) or what cannot be a tag comes out as a `malformed` token. Everything is
// bounded: at most one unfinished tag is held, and a tag longer than MAX_TAG_BYTES is
// malformed, so a server that never closes a tag cannot grow mailprobe's memory.
//
// Tags are cut at the first ">" outside a quoted attribute value; the scan resumes where it
// stopped, so a tag arriving one byte at a time costs linear time. Text is handed out as
// soon as it arrives (several tokens for one run are fine): a stanza's pieces are rebuilt
// from bytes, so a multi-byte UTF-8 character split between chunks is never decoded halfway.

/** The longest single tag accepted (a start tag with many attributes is a few hundred bytes). */
export const MAX_TAG_BYTES = 64 * 1024;

export type XmlToken =
  | { kind: 'declaration'; raw: Buffer }
  | { kind: 'open'; name: string; attributes: Map<string, string>; selfClosing: boolean; raw: Buffer }
  | { kind: 'close'; name: string; raw: Buffer }
  | { kind: 'text'; raw: Buffer }
  | { kind: 'malformed'; why: string; raw: Buffer };

const LT = 0x3c;
const GT = 0x3e;
const QUOT = 0x22;
const APOS = 0x27;

/** XML names, loosely (bytes above 0x7f are allowed: names may be any Unicode letter). */
const NAME = /^[A-Za-z_\u0080-\u00ff][\w.:\u0080-\u00ff-]*$/;
const ATTRIBUTE = /\s*([^\s=/>]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/y;

export class XmlTokenizer {
  private buffer: Buffer = Buffer.alloc(0);
  /** How far into an unfinished tag the search for its ">" has come. */
  private scanned = 0;
  /** Inside a quoted attribute value of that tag: the quote byte, else 0. */
  private quote = 0;

  feed(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
  }

  /** Bytes held that are not yet a token (an unfinished tag). */
  pending(): number {
    return this.buffer.length;
  }

  /** Removes and returns the bytes not yet handed out. */
  drain(): Buffer {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    this.scanned = 0;
    this.quote = 0;
    return rest;
  }

  next(): XmlToken | undefined {
    if (this.buffer.length === 0) return undefined;
    if (this.buffer[0] !== LT) {
      const lt = this.buffer.indexOf(LT);
      return { kind: 'text', raw: this.take(lt < 0 ? this.buffer.length : lt) };
    }
    const end = this.findTagEnd();
    if (end < 0) {
      if (this.buffer.length <= MAX_TAG_BYTES) return undefined;
      return { kind: 'malformed', why: `a tag longer than ${MAX_TAG_BYTES >> 10} KiB`, raw: this.take(this.buffer.length) };
    }
    const raw = this.take(end + 1);
    if (raw.length > MAX_TAG_BYTES) return { kind: 'malformed', why: `a tag longer than ${MAX_TAG_BYTES >> 10} KiB`, raw };
    return parseTag(raw);
  }

  /** The index of the ">" that ends the tag at the buffer's start, or -1. */
  private findTagEnd(): number {
    const buffer = this.buffer;
    for (let i = Math.max(this.scanned, 1); i < buffer.length; i++) {
      const byte = buffer[i];
      if (this.quote !== 0) {
        if (byte === this.quote) this.quote = 0;
      } else if (byte === QUOT || byte === APOS) this.quote = byte;
      else if (byte === GT) {
        this.scanned = 0;
        return i;
      }
    }
    this.scanned = buffer.length;
    return -1;
  }

  private take(length: number): Buffer {
    const raw = Buffer.from(this.buffer.subarray(0, length));
    this.buffer = this.buffer.subarray(length);
    if (this.buffer.length === 0) this.buffer = Buffer.alloc(0);
    return raw;
  }
}

/** One whole tag, "<" to ">", read into a token. */
export function parseTag(raw: Buffer): XmlToken {
  const text = raw.toString('latin1');
  if (text.startsWith('<?')) {
    // RFC 6120 §11.1: no processing instructions; the XML declaration is the one allowed.
    if (/^<\?xml\s[^]*\?>$/.test(text) || text === '<?xml?>') return { kind: 'declaration', raw };
    return { kind: 'malformed', why: 'a processing instruction (XMPP allows none)', raw };
  }
  if (text.startsWith('<!')) return { kind: 'malformed', why: 'a comment or DTD (XMPP allows neither)', raw };
  if (text.startsWith('</')) {
    const name = /^<\/([^\s>]+)\s*>$/.exec(text)?.[1];
    return name && NAME.test(name) ? { kind: 'close', name, raw } : { kind: 'malformed', why: 'an end tag that cannot be read', raw };
  }
  const head = /^<([^\s/>]+)/.exec(text);
  if (!head || !NAME.test(head[1])) return { kind: 'malformed', why: 'a tag that cannot be read', raw };
  const selfClosing = text.endsWith('/>');
  const body = text.slice(head[0].length, text.length - (selfClosing ? 2 : 1));
  const attributes = new Map<string, string>();
  ATTRIBUTE.lastIndex = 0;
  let at = 0;
  for (let match = ATTRIBUTE.exec(body); match; match = ATTRIBUTE.exec(body)) {
    // Attribute values are UTF-8 on the wire: read them back as such.
    attributes.set(match[1], Buffer.from(match[2] ?? match[3], 'latin1').toString('utf8'));
    at = ATTRIBUTE.lastIndex;
  }
  if (body.slice(at).trim() !== '') return { kind: 'malformed', why: 'a tag whose attributes cannot be read', raw };
  return { kind: 'open', name: head[1], attributes, selfClosing, raw };
}

/** The local part of a qualified name: "stream:features" → "features". */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** The namespace a start tag declares for its own name (xmlns, or xmlns:prefix for a prefixed name). */
export function namespaceOf(name: string, attributes: Map<string, string>): string | undefined {
  const colon = name.indexOf(':');
  return colon < 0 ? attributes.get('xmlns') : attributes.get(`xmlns:${name.slice(0, colon)}`);
}
