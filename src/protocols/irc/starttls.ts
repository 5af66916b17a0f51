// The IRCv3 STARTTLS dialogue, as openssl s_client -starttls irc speaks it and a little
// more. IRC has no greeting and no fixed order of server lines, so:
//
//   -> CAP LS 302     asks for capabilities; the answer lists "tls" when STARTTLS is offered
//   -> STARTTLS       sent at once, before anything is read
//   <- (NOTICEs, PINGs, the CAP LS answer, numerics: shown, never the go-ahead)
//   <- 670            go ahead (691: refused; 421/451 STARTTLS: not offered)
//   <- CAP LS without tls, complete: not offered either — InspIRCd 3 without its starttls
//      module answers STARTTLS with nothing at all, so waiting on would only time out
//
// Both commands go out before the first server byte is read (IRC has no greeting: the spec
// says greets: false), so every line that comes is read as part of the answer to STARTTLS:
// no line can be taken for an answer to nothing. CAP LS suspends registration until
// CAP END, which afterTls sends.
import { protocolError, serverClosed, startTlsUnavailable } from '../../errors.js';
import { buildCapabilities } from '../capabilities.js';
import type { Capabilities, Exchange, ServerLine } from '../types.js';
import { capLsLacksTls, capLsLine } from './capLs.js';
import { ERR_STARTTLS, refusesStartTlsCommand, RPL_STARTTLS } from './framer.js';
import { parseIrc } from './message.js';

const text = (lines: ServerLine[]) => lines.map((line) => line.text).join('\n');

/**
 * Capabilities from CAP LS answers ("CAP * LS [*] :tls sasl=PLAIN,EXTERNAL"); undefined
 * when the server sent none (it knows no CAP).
 */
export function capabilitiesOfCapLs(lines: ServerLine[]): Capabilities | undefined {
  const tokens: string[] = [];
  let seen = false;
  for (const line of lines) {
    const capLs = capLsLine(line.text);
    if (!capLs) continue;
    seen = true;
    tokens.push(...capLs.tokens);
  }
  if (!seen) return undefined;
  // "sasl=PLAIN,EXTERNAL": a value lists parameters, comma-separated.
  const entries = tokens.map((token): [string, string[]] => {
    const eq = token.indexOf('=');
    return eq < 0 ? [token, []] : [token.slice(0, eq), token.slice(eq + 1).split(',')];
  });
  return buildCapabilities(entries, 'SASL');
}

export async function ircStartTls(exchange: Exchange): Promise<Capabilities> {
  exchange.send('CAP LS 302');
  exchange.send('STARTTLS');
  const reply = await exchange.reply('STARTTLS');
  const lines = reply.lines;
  const capabilities = capabilitiesOfCapLs(lines);
  const { command: last, params } = parseIrc(reply.last.text);
  if (last === RPL_STARTTLS) return capabilities ?? buildCapabilities([]);
  if (last === 'ERROR') throw serverClosed('the server ended the session (ERROR) instead of answering STARTTLS', { reply: text(reply.lines) });
  if (capLsLacksTls(texts(lines))) throw notOffered('its CAP LS does not list tls', reply.lines);
  const unlisted = capabilities && !capabilities.keywords.has('TLS') ? ' (its CAP LS does not list tls)' : '';
  const refused = last === ERR_STARTTLS;
  if (!refused && !refusesStartTlsCommand(last, params)) throw protocolError('unexpected answer to STARTTLS', { reply: text(reply.lines) });
  if (refused) throw unavailable(`the server refused STARTTLS (691)${unlisted}, so mailprobe stops`, reply.lines);
  throw notOffered(last === '421' ? '421 unknown command' : `${last} not registered`, reply.lines, unlisted);
}

const texts = (lines: ServerLine[]) => lines.map((line) => line.text);

const unavailable = (message: string, lines: ServerLine[]) =>
  startTlsUnavailable(message, { command: 'STARTTLS', reply: text(lines), hint: 'use -tls (port 6697) for implicit TLS, or -plain for a cleartext session' });

const notOffered = (why: string, lines: ServerLine[], more = '') =>
  unavailable(`the server does not offer STARTTLS (${why})${more}, so mailprobe stops`, lines);

/** Ends the capability negotiation CAP LS opened, so registration (NICK, USER) can finish. */
export async function ircAfterTls(exchange: Exchange): Promise<undefined> {
  exchange.send('CAP END');
  return undefined;
}
