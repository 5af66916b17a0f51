// The XMPP STARTTLS dialogue (RFC 6120 §5), as openssl s_client -starttls xmpp speaks it:
//
//   -> <?xml version='1.0'?><stream:stream to='DOMAIN' version='1.0' xmlns='jabber:client' ...>
//   <- the server's stream header, then <stream:features> that must offer
//      <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> (else exit 7)
//   -> <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
//   <- <proceed/> the one go-ahead; <failure/> refused (exit 7)
//   ... TLS ...
//   -> a new stream header; <- header and features again (SASL mechanisms now)
//
// DOMAIN is -xmpphost (or -name), else the host connected to. Like s_client, no 'from' is
// sent: RFC 6120 §4.7.1 makes it optional before TLS, where nothing vouches for it anyway.
import { MailprobeError, protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import type { Capabilities, DialogueContext, Exchange, Reply } from '../types.js';
import { lastStanza, readFeatures, streamErrorCondition, type StreamFeatures } from './elements.js';
import { TLS_NS } from './framer.js';
import { localName } from './tokenizer.js';

export const STARTTLS = `<starttls xmlns='${TLS_NS}'/>`;
export const STREAM_END = '</stream:stream>';

/** The domain a stream is opened to: the name given, else the host connected to. */
export const streamDomain = (context: DialogueContext) => context.givenName ?? context.serverHost;

/** Attribute values are quoted with ', so a ' (or <, &) in a name given cannot break out. */
const attribute = (value: string) => value.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');

/** The stream header; `declaration: false` leaves out the XML declaration (optional, RFC 6120 §11.5). */
export function streamHeader(namespace: string, context: DialogueContext, how: { declaration?: boolean } = {}): string {
  const declaration = how.declaration === false ? '' : "<?xml version='1.0'?>";
  return `${declaration}<stream:stream to='${attribute(streamDomain(context))}' version='1.0' xmlns='${namespace}' xmlns:stream='http://etherx.jabber.org/streams'>`;
}

const replyText = (reply: Reply) => reply.lines.map((line) => line.shown ?? line.text).join('\n');

/** Why a reply is not the stanza expected: the stream ended, a stream error, not XMPP. */
function unexpected(reply: Reply, waitingFor: string, beforeTls = false): MailprobeError {
  const stanza = lastStanza(reply);
  if (reply.last.tone === 'malformed') {
    return protocolError(`the server does not speak XMPP: it answered the ${waitingFor} with something that is not an XMPP stream`, { reply: replyText(reply) });
  }
  if (reply.last.tone === 'bye') return serverClosed(`the server closed the XMPP stream instead of sending its ${waitingFor}`, { reply: replyText(reply) });
  if (stanza?.name === 'stream:error') {
    const condition = streamErrorCondition(stanza);
    const details = {
      reply: replyText(reply),
      hint: condition.startsWith('host-unknown') ? 'the server does not serve that domain: give it with -xmpphost DOMAIN' : undefined,
    };
    // Before TLS, a stream that ends in an error never offers STARTTLS: exit 7, as s_client fails.
    if (beforeTls) return startTlsUnavailable(`the server ended the stream with an error (${condition}) before offering STARTTLS, so mailprobe stops`, details);
    return protocolError(`the server ended the stream with an error: ${condition}`, details);
  }
  return protocolError(`unexpected answer instead of the ${waitingFor}: ${stanza ? `<${stanza.name}>` : 'no stanza'}`, { reply: replyText(reply) });
}

/** Opens a stream (or restarts it) and reads the server's stream features. */
export async function openStream(exchange: Exchange, namespace: string, context: DialogueContext, beforeTls = false): Promise<StreamFeatures> {
  exchange.send(streamHeader(namespace, context));
  const reply = await exchange.reply('stream features').catch((error: unknown) => {
    // A server that hangs up on a stream header without a word is often a TLS port reading
    // the header as a broken ClientHello.
    if (beforeTls && error instanceof MailprobeError && error.code === 'SERVER_CLOSED') {
      throw serverClosed(`${error.message} instead of answering the stream header`, {
        hint: `if this port expects TLS from the start (${namespace === 'jabber:server' ? 5270 : 5223} is the usual one), try -tls`,
      });
    }
    throw error;
  });
  const stanza = lastStanza(reply);
  if (!stanza || localName(stanza.name) !== 'features') throw unexpected(reply, 'stream features', beforeTls);
  return readFeatures(stanza);
}

export async function xmppStartTls(exchange: Exchange, namespace: string, context: DialogueContext): Promise<Capabilities> {
  const features = await openStream(exchange, namespace, context, true);
  if (!features.starttls) {
    throw startTlsUnavailable('the server does not offer STARTTLS in its stream features, so mailprobe stops', {
      hint: `use -tls (port ${namespace === 'jabber:server' ? 5270 : 5223}) for implicit TLS, or -plain for a cleartext session`,
    });
  }
  exchange.send(STARTTLS);
  const reply = await exchange.reply('STARTTLS');
  const stanza = lastStanza(reply);
  const name = stanza ? localName(stanza.name) : '';
  if (name === 'proceed' && stanza?.attributes.get('xmlns') === TLS_NS) return features.capabilities;
  if (name === 'failure' || stanza?.name === 'stream:error') {
    const why = name === 'failure' ? `<failure/>` : `stream error ${streamErrorCondition(stanza as NonNullable<typeof stanza>)}`;
    throw startTlsUnavailable(`the server refused STARTTLS (${why}), so mailprobe stops`, {
      command: STARTTLS,
      reply: replyText(reply),
      hint: 'a <failure/> to STARTTLS usually means the server could not load its certificate; or use -plain for a cleartext session',
    });
  }
  throw unexpected(reply, 'answer to STARTTLS', true);
}

/** Over TLS the stream starts again (RFC 6120 §5.4.3.3): a new header, new features. */
export async function xmppAfterTls(exchange: Exchange, namespace: string, context: DialogueContext): Promise<Capabilities> {
  return (await openStream(exchange, namespace, context)).capabilities;
}
