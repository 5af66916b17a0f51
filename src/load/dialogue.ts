// The words of a load run's SMTP/LMTP dialogue, made once per run: the command lines it
// writes, the hello line, the EHLO reply parsed once, and which dialogue a connection uses
// from the flags and what its server offers.
import { replyLines, type LoadReply } from '../protocols/smtp/replyReader.js';
import type { Capabilities } from '../protocols/types.js';
import { ehloCapabilities } from '../protocols/smtp/capabilities.js';
import type { SessionOptions } from '../client/options.js';
import type { LoadPlan } from './connection.js';

/** How a connection sends its messages, from the flags and what the server offers. */
export interface Dialogue {
  pipelining: boolean;
  bdat: boolean;
  rset: boolean;
  lmtp: boolean;
}

export const CRLF = '\r\n';
export const DOT = Buffer.from(`.${CRLF}`);
export const DOT_RSET = Buffer.from(`.${CRLF}RSET${CRLF}`);
export const DOT_QUIT = Buffer.from(`.${CRLF}QUIT${CRLF}`);
export const RSET = Buffer.from(`RSET${CRLF}`);
export const QUIT = Buffer.from(`QUIT${CRLF}`);
/** How long QUIT's reply is waited for before the socket is closed anyway. */
export const QUIT_WAIT_MS = 1000;
/**
 * The capabilities of the last EHLO reply seen: every connection of a run gets the same
 * reply, so it is parsed once and the next ones only compared with it, byte for byte.
 */
let lastEhlo: { raw: Buffer; capabilities: Capabilities } | undefined;
export function capabilitiesOf(raw: Buffer): Capabilities {
  if (lastEhlo?.raw.equals(raw)) return lastEhlo.capabilities;
  const capabilities = ehloCapabilities(replyLines(raw));
  lastEhlo = { raw: Buffer.from(raw), capabilities };
  return capabilities;
}

/** A refusal with no reply to show: the server sent a line that was no reply. */
export const BROKEN: LoadReply = { code: 554, text: '(no reply code)' };

/** EHLO, or LHLO in LMTP: the protocol's own capability command. */
export function helloCommand(session: SessionOptions, name: string): string {
  return session.protocol.capabilityCommand?.({ clientName: name, serverHost: session.host, nextTag: () => '' }) ?? `EHLO ${name}`;
}

/** The dialogue from the flags and what the server offers. */
export function dialogueFor(plan: LoadPlan, capabilities: Capabilities | undefined): Dialogue {
  const offered = capabilities?.keywords;
  return {
    pipelining: plan.pipelining && !!offered?.has('PIPELINING'),
    bdat: plan.bdat && !!offered?.has('CHUNKING'),
    rset: plan.rset,
    lmtp: !!plan.session.protocol.repliesPerRecipient,
  };
}
