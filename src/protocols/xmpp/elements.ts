// Reading complete stanzas once they are whole: a reply's bytes tokenized again into a small
// element tree (the framer's lines carry the raw slices), the stream features turned into
// Capabilities, and the stanza that ended a reply named.
import { buildCapabilities } from '../capabilities.js';
import type { Capabilities, Reply } from '../types.js';
import { SASL_NS, TLS_NS } from './framer.js';
import { localName, XmlTokenizer } from './tokenizer.js';

export interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  /** Text directly inside the element, trimmed. */
  text: string;
}

/**
 * The complete depth-1 elements in `bytes` (stream headers and declarations skipped, the
 * unfinished or malformed left out). Input is one reply: bounded by the connection's budget.
 */
export function parseStanzas(bytes: Buffer): XmlElement[] {
  const tokenizer = new XmlTokenizer();
  tokenizer.feed(bytes);
  const stanzas: XmlElement[] = [];
  const stack: XmlElement[] = [];
  const texts: Buffer[][] = [];
  for (let token = tokenizer.next(); token; token = tokenizer.next()) {
    if (token.kind === 'malformed') break;
    if (token.kind === 'text' && stack.length > 0) texts[texts.length - 1].push(token.raw);
    if (token.kind === 'open') {
      if (stack.length === 0 && localName(token.name) === 'stream' && !token.selfClosing) continue;
      const element: XmlElement = { name: token.name, attributes: token.attributes, children: [], text: '' };
      stack.at(-1)?.children.push(element);
      if (token.selfClosing) {
        if (stack.length === 0) stanzas.push(element);
        continue;
      }
      stack.push(element);
      texts.push([]);
    }
    if (token.kind === 'close' && stack.length > 0) {
      const element = stack.pop() as XmlElement;
      element.text = Buffer.concat(texts.pop() ?? []).toString('utf8').trim();
      if (element.name !== token.name) break;
      if (stack.length === 0) stanzas.push(element);
    }
  }
  return stanzas;
}

/** The stanzas of a reply, its lines' bytes put back together. */
export function stanzasOf(reply: Reply): XmlElement[] {
  return parseStanzas(Buffer.concat(reply.lines.map((line) => line.bytes)));
}

/** The stanza that completed a reply (the last), if the reply ended in one. */
export function lastStanza(reply: Reply): XmlElement | undefined {
  return reply.last.tone === 'malformed' ? undefined : stanzasOf(reply).at(-1);
}

export const child = (element: XmlElement, name: string, xmlns?: string) =>
  element.children.find((c) => localName(c.name) === name && (xmlns === undefined || c.attributes.get('xmlns') === xmlns));

export interface StreamFeatures {
  starttls: boolean;
  /** <required/> inside <starttls/>: the server accepts nothing else first. */
  required: boolean;
  mechanisms: string[];
  capabilities: Capabilities;
}

/**
 * <stream:features> as capabilities: each feature's element name a keyword (STARTTLS, BIND,
 * SM, CSI, ...), the SASL mechanisms under SASL, a feature's leaf children as its params.
 */
export function readFeatures(features: XmlElement): StreamFeatures {
  const starttls = child(features, 'starttls', TLS_NS);
  const mechanisms = (child(features, 'mechanisms', SASL_NS)?.children ?? []).filter((c) => localName(c.name) === 'mechanism').map((c) => c.text).filter(Boolean);
  const entries: Array<[string, string[]]> = features.children.map((feature) => {
    const name = localName(feature.name);
    if (name === 'mechanisms' && feature.attributes.get('xmlns') === SASL_NS) return ['SASL', mechanisms];
    return [name, feature.children.map((c) => c.text || localName(c.name)).filter(Boolean)];
  });
  return {
    starttls: starttls !== undefined,
    required: starttls !== undefined && child(starttls, 'required') !== undefined,
    mechanisms,
    capabilities: buildCapabilities(entries, 'SASL'),
  };
}

/** "<stream:error><host-unknown .../><text>...</text></stream:error>" → "host-unknown (text)". */
export function streamErrorCondition(error: XmlElement): string {
  const condition = error.children.find((c) => localName(c.name) !== 'text');
  const text = child(error, 'text')?.text;
  return `${condition ? localName(condition.name) : 'undefined-condition'}${text ? ` (${text})` : ''}`;
}

/** A SASL or TLS <failure>'s condition: "not-authorized", or "failure" when none is named. */
export function failureCondition(failure: XmlElement): string {
  const condition = failure.children.find((c) => localName(c.name) !== 'text');
  return condition ? localName(condition.name) : 'failure';
}
