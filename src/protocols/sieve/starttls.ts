// The ManageSieve STARTTLS dialogue (RFC 5804 §2.2): the greeting is the capability list;
// after OK to STARTTLS and the handshake the server sends its capabilities again unasked.
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { buildCapabilities } from '../capabilities.js';
import type { Capabilities, Exchange, Reply } from '../types.js';
import { quotedStrings, sieveStatus } from './response.js';

const text = (reply: Reply) => reply.lines.map((line) => line.text).join('\n');

export function sieveCapabilities(reply: Reply): Capabilities {
  const entries: [string, string[]][] = [];
  for (const line of reply.lines) {
    if (sieveStatus(line.text)) continue;
    const [keyword, value] = quotedStrings(line.text);
    if (keyword) entries.push([keyword, value ? value.split(/\s+/).filter(Boolean) : []]);
  }
  return buildCapabilities(entries, 'SASL');
}

async function capabilityResponse(exchange: Exchange, stage: string): Promise<Capabilities> {
  const reply = await exchange.reply(stage);
  const status = sieveStatus(reply.last.text);
  if (status === 'BYE') throw serverClosed(`the server said BYE (${stage})`, { reply: text(reply) });
  if (status !== 'OK') throw protocolError(`unexpected ManageSieve ${stage}: expected OK`, { reply: text(reply) });
  return sieveCapabilities(reply);
}

export async function sieveStartTls(exchange: Exchange): Promise<Capabilities> {
  const capabilities = await capabilityResponse(exchange, 'greeting');
  if (!capabilities.keywords.has('STARTTLS')) {
    throw startTlsUnavailable('the server does not offer STARTTLS in its capabilities, so mailprobe stops', {
      hint: 'use -plain for a cleartext session',
    });
  }
  exchange.send('STARTTLS');
  const reply = await exchange.reply('STARTTLS');
  if (sieveStatus(reply.last.text) !== 'OK') {
    throw startTlsUnavailable('the server refused STARTTLS, so mailprobe stops', {
      command: 'STARTTLS',
      reply: text(reply),
      hint: 'use -plain for a cleartext session',
    });
  }
  return capabilities;
}

export const sieveCapabilitiesAfterTls = (exchange: Exchange) => capabilityResponse(exchange, 'capabilities after TLS');
