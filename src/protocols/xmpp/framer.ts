// XMPP framing (RFC 6120 §4): one long XML document per direction. The units are the
// stream header (the XML declaration and the depth-0 <stream:stream> start tag), each
// complete depth-1 element (a stanza: features, proceed, failure, iq, message, presence,
// stream:error) and the closing </stream:stream>. Whitespace between stanzas (keepalives)
// is dropped. A stanza is shown one element a line — a start tag, or a leaf with its text —
// indented two spaces per depth below the stanza; each line's `bytes` is the raw slice of
// the stanza from its start tag to the next start tag (end tags and text included), so the
// bytes of a stanza's lines put together are the stanza as received. Only the last line of
// a stanza can be final, and only when the stanza ends what was awaited:
//
//   stream header sent  → the server's header (not final), then <stream:features> (final)
//   <starttls/>         → <proceed/> (the go-ahead) or <failure/>
//   <auth>, <response>  → <challenge>, <success> or <failure> (SASL, RFC 6120 §6.4)
//   <iq type=get|set>   → <iq type=result|error>
//   </stream:stream>    → the server's </stream:stream>
//   any of them         → a <stream:error> or the server's </stream:stream> (the stream is over)
//
// Other stanzas (presence, messages, pushes) come whenever the server likes: they are shown
// but complete nothing, as IRC's NOTICEs (the spec sets unpromptedLines). A <proceed/> or
// <failure/> nobody asked for is final, so the connection core counts it as a stray reply.
// After the <proceed/> the framer reads nothing more: what follows it is left for drain(),
// where the connection core finds it as injection evidence. XML that XMPP does not allow
// switches the framer to showing the rest as plain lines, tone malformed (the first one
// final, so a dialogue waiting for an answer gets one).
import { LineSplitter } from '../lineSplitter.js';
import type { Framer, ServerLine, Tone } from '../types.js';
import { localName, MAX_TAG_BYTES, XmlTokenizer, type XmlToken } from './tokenizer.js';

/** What a sent line waits for. */
type Awaited = 'features' | 'starttls' | 'sasl' | 'iq' | 'close';

/** Deeper than any real stanza (a roster push is 4 levels deep). */
export const MAX_DEPTH = 64;
/** One element's line (its start tag, text and end tags): 256 KiB, past any real one. */
export const MAX_PIECE_BYTES = 4 * MAX_TAG_BYTES;

/** One line under construction: an element's start tag and what follows up to the next start tag. */
interface Piece {
  chunks: Buffer[];
  size: number;
  /** Depth below the stanza: 0 for the stanza element itself. */
  level: number;
  tag: Buffer;
  name: string;
  selfClosing: boolean;
  /** The element's text so far, while it has no child (a leaf). */
  text: Buffer[];
  /** The element ended inside this piece. */
  closed: boolean;
}

/** The stanza under way: its root element's name and namespace. */
interface Stanza {
  name: string;
  xmlns?: string;
  type?: string;
}

/** What the user's or mailprobe's line starts: the first element's name, the stream header. */
export function firstElement(line: string): { name: string; attributes: string } | undefined {
  const match = /^\s*(?:<\?xml[^>]*\?>\s*)?<(\/?[^\s/>]+)([^>]*)>?/.exec(line);
  return match ? { name: match[1], attributes: match[2] } : undefined;
}

export function awaitedBy(line: string): Awaited | undefined {
  const first = firstElement(line);
  if (!first) return undefined;
  if (first.name === '/stream:stream') return 'close';
  const name = localName(first.name);
  if (first.name.startsWith('/')) return undefined;
  if (name === 'stream') return 'features';
  if (name === 'starttls') return 'starttls';
  if (name === 'auth' || name === 'response' || name === 'abort') return 'sasl';
  if (name === 'iq' && /\btype\s*=\s*['"](?:get|set)['"]/.test(first.attributes)) return 'iq';
  return undefined;
}

export const TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls';
export const SASL_NS = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** The colour of a stanza: proceed and success ok, failure and stream errors permfail. */
export function toneOfStanza(stanza: Stanza): Tone {
  const name = localName(stanza.name);
  if (stanza.name === 'stream:error') return 'permfail';
  if (name === 'proceed' || name === 'success') return 'ok';
  if (name === 'failure') return 'permfail';
  if (name === 'challenge') return 'intermediate';
  if (name === 'iq' && stanza.type === 'error') return 'permfail';
  return 'info';
}

function ends(awaited: Awaited | undefined, stanza: Stanza): boolean {
  const name = localName(stanza.name);
  if (stanza.name === 'stream:error') return awaited !== undefined;
  if (awaited === 'features') return stanza.name === 'stream:features' || name === 'features';
  if (awaited === 'starttls') return stanza.xmlns === TLS_NS && (name === 'proceed' || name === 'failure');
  if (awaited === 'sasl') return stanza.xmlns === SASL_NS && (name === 'challenge' || name === 'success' || name === 'failure');
  if (awaited === 'iq') return name === 'iq' && (stanza.type === 'result' || stanza.type === 'error');
  // A STARTTLS answer nobody asked for: final, so the core counts it as stray.
  if (awaited === undefined) return stanza.xmlns === TLS_NS && (name === 'proceed' || name === 'failure');
  return false;
}

const indent = (level: number) => '  '.repeat(level);
/** A tag as one line: its whitespace (newlines between attributes) collapsed. */
const tagText = (tag: Buffer) => tag.toString('utf8').replace(/\s+/g, ' ');

export class XmppFramer implements Framer {
  private readonly tokenizer = new XmlTokenizer();
  private readonly awaiting: Awaited[] = [];
  /** Open elements inside the stream, the stanza first. */
  private readonly open: string[] = [];
  private streamOpen = false;
  private stanza?: Stanza;
  private piece?: Piece;
  /** The go-ahead came: nothing more is read as XML (it is injection until TLS). */
  private halted = false;
  /** The stream broke: the rest is shown as plain lines. */
  private broken?: LineSplitter;
  private brokenFinalSent = false;
  private out: ServerLine[] = [];

  push(chunk: Buffer): ServerLine[] {
    this.out = [];
    if (this.broken) {
      this.broken.feed(chunk);
      this.takeBroken();
      return this.out;
    }
    this.tokenizer.feed(chunk);
    while (!this.halted && !this.broken) {
      const token = this.tokenizer.next();
      if (!token) break;
      this.handle(token);
    }
    const broken = this.broken as LineSplitter | undefined;
    if (broken) {
      broken.feed(this.tokenizer.drain());
      this.takeBroken();
    }
    return this.out;
  }

  sent(line: string): number {
    const awaited = awaitedBy(line);
    if (!awaited) return 0;
    this.awaiting.push(awaited);
    return 1;
  }

  inContent(): boolean {
    return false;
  }

  pendingBytes(): number {
    return this.tokenizer.pending() + (this.piece?.size ?? 0) + (this.broken?.pending() ?? 0);
  }

  takePartial(): ServerLine | undefined {
    // XML is shown a whole element at a time; only a broken stream's text shows early.
    const raw = this.broken?.takePartial();
    return raw ? this.malformedLine(raw.bytes, false) : undefined;
  }

  drain(): Buffer {
    const piece = this.piece ? Buffer.concat(this.piece.chunks) : Buffer.alloc(0);
    this.piece = undefined;
    return Buffer.concat([piece, this.tokenizer.drain(), this.broken?.drain() ?? Buffer.alloc(0)]);
  }

  private handle(token: XmlToken): void {
    switch (token.kind) {
      case 'malformed':
        return this.break(token.raw);
      case 'declaration':
        // Before a stream header (and again before a restarted one), never inside a stanza.
        if (this.stanza) return this.break(token.raw);
        return this.emitWhole(token.raw, 'info', false);
      case 'text':
        return this.text(token.raw);
      case 'open':
        return this.openTag(token.name, token.attributes, token.selfClosing, token.raw);
      case 'close':
        return this.closeTag(token.name, token.raw);
    }
  }

  private text(raw: Buffer): void {
    if (!this.stanza) {
      // Between stanzas only whitespace (keepalives) may come.
      if (/^[ \t\r\n]*$/.test(raw.toString('latin1'))) return;
      return this.break(raw);
    }
    const piece = this.piece as Piece;
    if (!piece.closed && this.open.length === piece.level + 1) piece.text.push(raw);
    this.grow(piece, raw);
  }

  private openTag(name: string, attributes: Map<string, string>, selfClosing: boolean, raw: Buffer): void {
    if (!this.stanza) {
      // A stream header: the first, or a restart (after SASL, the server opens a new stream).
      if (localName(name) === 'stream' && name.startsWith('stream:') && !selfClosing) {
        this.streamOpen = true;
        return this.emitWhole(raw, 'info', false);
      }
      if (!this.streamOpen) return this.break(raw);
      this.stanza = { name, xmlns: attributes.get('xmlns'), type: attributes.get('type') };
    } else {
      if (this.open.length >= MAX_DEPTH) return this.break(raw);
      this.flushPiece(false);
    }
    this.piece = { chunks: [raw], size: raw.length, level: this.open.length, tag: raw, name, selfClosing, text: [], closed: selfClosing };
    if (selfClosing) {
      if (this.open.length === 0) this.endStanza();
      return;
    }
    this.open.push(name);
  }

  private closeTag(name: string, raw: Buffer): void {
    if (!this.stanza) {
      if (name !== 'stream:stream' || !this.streamOpen) return this.break(raw);
      this.streamOpen = false;
      // The server ends the stream: the end of whatever was awaited.
      const final = this.awaiting.length > 0;
      if (final) this.awaiting.shift();
      return this.emitWhole(raw, 'bye', final);
    }
    if (this.open.at(-1) !== name) return this.break(raw);
    this.open.pop();
    const piece = this.piece as Piece;
    if (this.open.length === piece.level) piece.closed = true;
    if (this.grow(piece, raw) && this.open.length === 0) this.endStanza();
  }

  /** Adds bytes to the line under way; false when that made it too long to hold (the stream breaks). */
  private grow(piece: Piece, raw: Buffer): boolean {
    piece.chunks.push(raw);
    piece.size += raw.length;
    // One line's text (a long SASL challenge, a message body) is bounded like a tag, generously.
    if (piece.size <= MAX_PIECE_BYTES) return true;
    this.break(Buffer.alloc(0));
    return false;
  }

  private endStanza(): void {
    const stanza = this.stanza as Stanza;
    const final = ends(this.awaiting[0], stanza);
    const answered = final ? this.awaiting.shift() : undefined;
    this.flushPiece(final);
    this.stanza = undefined;
    // The go-ahead: the next byte is TLS's, or injection; none is read as XML.
    if (answered === 'starttls' && localName(stanza.name) === 'proceed') this.halted = true;
  }

  private flushPiece(final: boolean): void {
    const piece = this.piece;
    if (!piece) return;
    this.piece = undefined;
    const bytes = Buffer.concat(piece.chunks);
    let shown = indent(piece.level) + tagText(piece.tag);
    if (!piece.selfClosing) {
      const text = Buffer.concat(piece.text).toString('utf8').trim();
      shown += text;
      if (piece.closed) shown += `</${piece.name}>`;
    }
    this.out.push({ bytes, text: bytes.toString('latin1'), ending: 'lf', tone: toneOfStanza(this.stanza as Stanza), final, shown });
  }

  /** A unit that is one token: the declaration, a stream header, the closing tag. */
  private emitWhole(raw: Buffer, tone: Tone, final: boolean): void {
    this.out.push({ bytes: raw, text: raw.toString('latin1'), ending: 'lf', tone, final, shown: tagText(raw) });
  }

  /** Not XML XMPP allows: the rest is shown as plain lines, tone malformed. */
  private break(from: Buffer): void {
    const piece = this.piece ? Buffer.concat(this.piece.chunks) : Buffer.alloc(0);
    this.piece = undefined;
    this.stanza = undefined;
    this.open.length = 0;
    this.broken = new LineSplitter();
    // The bytes of the stanza under way are shown with the rest, not lost.
    this.broken.feed(Buffer.concat([piece, from]));
  }

  private takeBroken(): void {
    const splitter = this.broken as LineSplitter;
    for (let raw = splitter.next(); raw; raw = splitter.next()) {
      this.out.push(this.malformedLine(raw.bytes, true, raw.ending));
    }
    // A dialogue waiting for an answer gets one now, not after a line ending that may never come.
    const partial = this.brokenFinalSent ? undefined : splitter.takePartial();
    if (partial) this.out.push(this.malformedLine(partial.bytes, true));
  }

  private malformedLine(bytes: Buffer, whole: boolean, ending: ServerLine['ending'] = 'none'): ServerLine {
    // The first line of a broken stream answers whatever was awaited (the dialogue then
    // reports it); it is final even with nothing awaited, a stray reply before any STARTTLS.
    const final = whole && !this.brokenFinalSent;
    if (final) {
      this.brokenFinalSent = true;
      this.awaiting.shift();
    }
    return { bytes, text: bytes.toString('latin1'), ending, tone: 'malformed', final };
  }
}
