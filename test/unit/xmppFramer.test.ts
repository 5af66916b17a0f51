// The XMPP framer and its tokenizer: units (stream header, stanzas, the closing tag), one
// element a line with the stanza's bytes kept whole, which stanza ends which wait, the halt
// after <proceed/>, and malformed XML shown as such instead of thrown.
import { describe, expect, it } from 'vitest';
import { XmppFramer } from '../../src/protocols/xmpp/framer.js';
import { parseStanzas, readFeatures } from '../../src/protocols/xmpp/elements.js';
import { xmppCredentials, xmppSasl, xmppChallenge } from '../../src/protocols/xmpp/auth.js';
import type { ServerLine } from '../../src/protocols/types.js';

const HEADER_OUT = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const HEADER_IN = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0'>";
const FEATURES =
  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
  "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>";
const STARTTLS = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
const PROCEED = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

const feed = (framer: XmppFramer, text: string | Buffer) => framer.push(Buffer.isBuffer(text) ? text : Buffer.from(text));
const shown = (lines: ServerLine[]) => lines.map((line) => line.shown);

describe('XMPP framer', () => {
  it('shows the header, then the features one element a line, the last line final; the bytes are the stanza', () => {
    const framer = new XmppFramer();
    expect(framer.sent(HEADER_OUT)).toBe(1);
    const lines = feed(framer, `${HEADER_IN}\n  ${FEATURES}  \n`);
    expect(shown(lines)).toEqual([
      "<?xml version='1.0'?>",
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0'>",
      '<stream:features>',
      "  <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>",
      '    <required/>',
      "  <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>",
      '    <mechanism>PLAIN</mechanism>',
      '    <mechanism>SCRAM-SHA-1</mechanism>',
    ]);
    expect(lines.map((line) => line.final)).toEqual([false, false, false, false, false, false, false, true]);
    expect(Buffer.concat(lines.slice(2).map((line) => line.bytes)).toString()).toBe(FEATURES);
    expect(framer.pendingBytes()).toBe(0);
    const features = readFeatures(parseStanzas(Buffer.concat(lines.map((line) => line.bytes)))[0]);
    expect(features).toMatchObject({ starttls: true, required: true, mechanisms: ['PLAIN', 'SCRAM-SHA-1'] });
    expect(features.capabilities.authMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-1']);
    expect(features.capabilities.keywords.has('STARTTLS')).toBe(true);
  });

  it('reads nothing after the <proceed/> that answers <starttls/>: the rest is left for drain()', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, HEADER_IN + FEATURES);
    expect(framer.sent(STARTTLS)).toBe(1);
    const lines = feed(framer, `${PROCEED} <iq type='result'/>`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ final: true, tone: 'ok' });
    expect(framer.drain().toString()).toBe(" <iq type='result'/>");
  });

  it('a <proceed/> nobody asked for is final (a stray reply); a presence is not', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, HEADER_IN + FEATURES);
    const lines = feed(framer, `<presence from='a@b'/><message><body>hi</body></message>${PROCEED}`);
    expect(lines.map((line) => [line.shown, line.final])).toEqual([
      ["<presence from='a@b'/>", false],
      ['<message>', false],
      ['  <body>hi</body>', false],
      [PROCEED, true],
    ]);
  });

  it('a multi-byte character split across chunks and a tag split inside an attribute value give the same lines', () => {
    const whole = new XmppFramer();
    whole.sent(HEADER_OUT);
    const text = Buffer.from(`${HEADER_IN}<message to='ü@x'><body>héllo 😀</body></message>`);
    const expected = feed(whole, text);
    const split = new XmppFramer();
    split.sent(HEADER_OUT);
    const lines: ServerLine[] = [];
    for (let i = 0; i < text.length; i++) lines.push(...split.push(text.subarray(i, i + 1)));
    expect(lines).toEqual(expected);
    expect(shown(lines)).toContain('  <body>héllo 😀</body>');
  });

  it('the server ending the stream answers what waits; </stream:stream> owes one reply', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, HEADER_IN + FEATURES);
    expect(framer.sent('</stream:stream>')).toBe(1);
    expect(framer.sent("<presence/>")).toBe(0);
    expect(framer.sent("<message to='a@b'><body>x</body></message>")).toBe(0);
    const lines = feed(framer, '</stream:stream>');
    expect(lines[0]).toMatchObject({ tone: 'bye', final: true });
  });

  it('iq get/set owe a reply; a server iq get does not end it, the result does', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, HEADER_IN + FEATURES);
    expect(framer.sent("<iq type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>")).toBe(1);
    const lines = feed(framer, "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq><iq type='result' id='v1'/>");
    expect(lines.map((line) => line.final)).toEqual([false, false, true]);
  });

  it('not XMPP (an SMTP greeting) is shown as malformed lines, the first final, never thrown', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    const lines = feed(framer, '220 mx.example ESMTP\r\n421 bye\r\n');
    expect(lines.map((line) => [line.text, line.tone, line.final])).toEqual([
      ['220 mx.example ESMTP', 'malformed', true],
      ['421 bye', 'malformed', false],
    ]);
  });

  it.each([
    ['a comment', '<!-- hi -->'],
    ['a mismatched end tag', '<message><body>x</message>'],
    ['text between stanzas', 'hello<presence/>'],
    ['a processing instruction', '<?php x ?>'],
    ['a tag that cannot be read', "<iq type=result/>"],
  ])('%s is malformed', (_, bad) => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    const lines = feed(framer, `${HEADER_IN}${bad}\n`);
    expect(lines.at(-1)?.tone).toBe('malformed');
  });

  it('a tag that never ends stops at 64 KiB, malformed; pending stays bounded', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, `${HEADER_IN}<message to='`);
    for (let i = 0; i < 100; i++) feed(framer, 'x'.repeat(1024));
    expect(framer.pendingBytes()).toBeLessThanOrEqual(64 * 1024 + 1024);
  });

  it('whitespace keepalives between stanzas are dropped and leave nothing pending', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, HEADER_IN + FEATURES);
    expect(feed(framer, ' \n \r\n\t')).toEqual([]);
    expect(framer.pendingBytes()).toBe(0);
  });
});

describe('XMPP SASL and typed credentials', () => {
  it('redacts the base64 of <auth> and <response>, and marks <auth> a SASL start', () => {
    expect(xmppCredentials("<auth mechanism='PLAIN' xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AGFsaWNlAHNlY3JldA==</auth>")).toEqual({
      shown: "<auth mechanism='PLAIN' xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</auth>",
      credentials: true,
      sasl: true,
    });
    expect(xmppCredentials("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdz</response>")?.shown).toBe(
      "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>[redacted]</response>",
    );
    expect(xmppCredentials("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'/>")).toEqual({
      shown: "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'/>",
      credentials: false,
      sasl: true,
    });
    expect(xmppCredentials("<iq type='set' id='a'><query xmlns='jabber:iq:auth'><username>a</username><password>pw</password></query></iq>")?.credentials).toBe(true);
    expect(xmppCredentials('<presence/>')).toBeUndefined();
  });

  it('the SASL profile reads challenge, success and failure stanzas', () => {
    const framer = new XmppFramer();
    framer.sent(HEADER_OUT);
    feed(framer, HEADER_IN + FEATURES);
    framer.sent(xmppSasl.command('SCRAM-SHA-1', 'biwsbj1h', { clientName: 'x', serverHost: 'h', nextTag: () => '' }));
    const challenge = feed(framer, "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>cj1hYmM=</challenge>");
    expect(challenge).toHaveLength(1);
    expect(challenge[0]).toMatchObject({ final: true, tone: 'intermediate' });
    expect(xmppSasl.outcome({ lines: challenge, last: challenge[0] })).toEqual({ kind: 'challenge', base64: 'cj1hYmM=' });
    expect(xmppChallenge(challenge[0])).toBe('cj1hYmM=');
    framer.sent(xmppSasl.response('eA=='));
    const failure = feed(framer, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
    expect(failure.at(-1)).toMatchObject({ final: true, tone: 'permfail' });
    expect(xmppSasl.outcome({ lines: failure, last: failure.at(-1)! })).toEqual({ kind: 'failure' });
  });
});
