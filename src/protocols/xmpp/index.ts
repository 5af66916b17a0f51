// XMPP (RFC 6120) client-to-server and server-to-server streams with STARTTLS: one folder,
// two specs that differ in their namespace and ports.
import { recogniser } from '../credentials.js';
import type { ProtocolName, ProtocolSpec, Reply } from '../types.js';
import { xmppChallenge, xmppCredentials, xmppSasl } from './auth.js';
import { lastStanza, readFeatures } from './elements.js';
import { awaitedBy, firstElement, TLS_NS, XmppFramer } from './framer.js';
import { STREAM_END, streamHeader, xmppAfterTls, xmppStartTls } from './starttls.js';
import { localName } from './tokenizer.js';

const STREAM_START = /^(?:<\?xml[^>]*\?>\s*)?<stream:stream[\s>]/;
const SERVER_STREAM = /\sxmlns=['"]jabber:server['"]/;

/** The status of a reply, for a script's EXPECT: the start tag of the stanza that ended it. */
function replyStatus(reply: Reply): string {
  const root = [...reply.lines].reverse().find((line) => line.shown !== undefined && !line.shown.startsWith(' '));
  return (root?.shown ?? reply.last.text).trim();
}

function makeSpec(name: ProtocolName, label: string, namespace: string, ports: { starttls: [number, string]; tls: [number, string] }): ProtocolSpec {
  return {
    name,
    label,
    defaultPort: ports.starttls[0],
    implicitTlsPort: ports.tls[0],
    ports: [
      { port: ports.starttls[0], mode: 'starttls', services: [ports.starttls[1]] },
      { port: ports.tls[0], mode: 'tls', services: [ports.tls[1]] },
    ],
    // The client opens the stream; the server speaks only when spoken to.
    greets: false,
    // Presence, messages and pushes arrive unasked as a matter of course.
    unpromptedLines: true,
    quitCommand: () => STREAM_END,
    createFramer: () => new XmppFramer(),
    // An XMPP server never speaks first; but one answering bytes it cannot read (a TLS
    // ClientHello sent to its plaintext port) opens its stream to say so: that names it.
    recognisesGreeting: (line) => STREAM_START.test(line) && (namespace === 'jabber:server') === SERVER_STREAM.test(line),
    typedCredentials: recogniser(xmppCredentials),
    startTlsName: name,
    startTlsKeyword: 'STARTTLS',
    replyStatus,
    stageOf: (command, reply) => {
      const stanza = lastStanza(reply);
      const root = stanza ? localName(stanza.name) : '';
      if (awaitedBy(command) === 'features' && root === 'features') return 'ehlo';
      if (awaitedBy(command) === 'sasl' && root === 'success') return 'auth';
      return undefined;
    },
    startTls: (exchange, context) => xmppStartTls(exchange, namespace, context),
    afterTls: (exchange, context) => xmppAfterTls(exchange, namespace, context),
    isStartTlsCommand: (line) => awaitedBy(line) === 'starttls',
    isStartTlsGoAhead: (reply) => {
      const stanza = lastStanza(reply);
      return stanza !== undefined && localName(stanza.name) === 'proceed' && stanza.attributes.get('xmlns') === TLS_NS;
    },
    isQuitCommand: (line) => firstElement(line)?.name === '/stream:stream',
    // Without the declaration, so "ask again with <stream:stream" names what to type.
    capabilityCommand: (context) => streamHeader(namespace, context, { declaration: false }),
    capabilitiesFrom: (command, reply) => {
      if (awaitedBy(command) !== 'features') return undefined;
      const stanza = lastStanza(reply);
      return stanza && localName(stanza.name) === 'features' ? readFeatures(stanza).capabilities : undefined;
    },
    challengeOf: xmppChallenge,
    challengesAreSasl: true,
    sasl: xmppSasl,
  };
}

export const xmpp = makeSpec('xmpp', 'XMPP', 'jabber:client', { starttls: [5222, 'xmpp-client'], tls: [5223, 'xmpps-client'] });
export const xmppServer = makeSpec('xmpp-server', 'XMPP server-to-server', 'jabber:server', { starttls: [5269, 'xmpp-server'], tls: [5270, 'xmpps-server'] });
