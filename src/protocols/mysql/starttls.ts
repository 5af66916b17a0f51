// MySQL/MariaDB TLS: the server greets with its handshake packet; when its capability flags
// carry CLIENT_SSL the client sends an SSL request (a HandshakeResponse cut short after
// its 32 fixed bytes, with CLIENT_SSL set) and starts the TLS handshake at once. The
// server owes no packet in between, so any byte it sends after its handshake and before
// TLS is injection (exit 10, the connection core's rule). After TLS the server waits for
// the client's HandshakeResponse: mailprobe, which sends no credentials, closes instead
// (COM_QUIT is not valid before authentication).
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { emptyCapabilities } from '../capabilities.js';
import type { Capabilities, Exchange } from '../types.js';
import { classifyPacket, describeErr, HEADER_BYTES, sslOffered, sslRequestPacket, type Handshake } from './packets.js';

/** Connections that sent the SSL request: after TLS the server does not greet again. */
const upgraded = new WeakSet<Exchange>();

/** Reads the handshake packet; an ERR (a host not allowed, too many connections) ends here. */
async function handshake(exchange: Exchange): Promise<Handshake> {
  const reply = await exchange.reply('greeting');
  const last = reply.last;
  const packet = classifyPacket(last.bytes.subarray(HEADER_BYTES));
  if (packet.kind === 'err') {
    throw serverClosed(`the server refused the connection in its handshake (${describeErr(packet.err)})`, {
      reply: describeErr(packet.err),
      hint: packet.err.code === 1130 ? 'the server does not let this host connect (its user table names the hosts allowed)' : undefined,
    });
  }
  if (packet.kind !== 'handshake' || last.tone === 'malformed') {
    throw protocolError('the server did not greet with a MySQL handshake packet (protocol 10), so mailprobe stops', {
      reply: last.shown,
      bytes: last.bytes.subarray(0, 64),
      hint: 'check the port (MySQL and MariaDB listen on 3306)',
    });
  }
  return packet.handshake;
}

export async function mysqlStartTls(exchange: Exchange): Promise<Capabilities> {
  const greeting = await handshake(exchange);
  if (!sslOffered(greeting)) {
    throw startTlsUnavailable('the server does not offer TLS (its handshake does not set CLIENT_SSL), so mailprobe stops', {
      hint: 'the server runs without a certificate (or with --skip-ssl); use -plain -proto mysql to see its handshake',
    });
  }
  upgraded.add(exchange);
  exchange.sendMessage(sslRequestPacket(), 'SSL request with CLIENT_SSL', { startTls: true });
  return emptyCapabilities();
}

/**
 * After connecting without STARTTLS (-plain -proto mysql) the handshake is still to be read
 * and shown; after TLS there is nothing to read: the server waits for the client.
 */
export async function mysqlClosingDialogue(exchange: Exchange): Promise<void> {
  if (upgraded.has(exchange)) return;
  await handshake(exchange);
}
