// What the sink offers a client: its greeting; its answer to EHLO, HELO and LHLO (the
// greeting command that suits the protocol, and for EHLO/LHLO the extensions: STARTTLS until
// TLS is on, AUTH where it may go); and whether STARTTLS can start.
import { SINK_MECHANISMS } from './auth.js';
import type { ResolvedSinkOptions } from './options.js';

export type HelloVerb = 'EHLO' | 'HELO' | 'LHLO';

export interface HelloAnswer {
  reply: string;
  /** The greeting was taken: the session starts afresh under it. */
  accepted: boolean;
}

/** The EHLO reply's extension lines, made once per sink and offer instead of at every greeting. */
const extensionLines = new WeakMap<ResolvedSinkOptions, string[]>();

function extensions(options: ResolvedSinkOptions, offer: { starttls: boolean; auth: boolean }): string {
  let made = extensionLines.get(options);
  if (!made) extensionLines.set(options, (made = []));
  const index = (offer.starttls ? 1 : 0) + (offer.auth ? 2 : 0);
  if (made[index] !== undefined) return made[index];
  const keywords = ['PIPELINING', `SIZE ${options.maxSize}`, '8BITMIME', 'ENHANCEDSTATUSCODES', 'CHUNKING'];
  if (offer.starttls) keywords.push('STARTTLS');
  if (offer.auth) keywords.push(`AUTH ${SINK_MECHANISMS.join(' ')}`);
  return (made[index] = keywords.map((keyword, i) => `250${i === keywords.length - 1 ? ' ' : '-'}${keyword}\r\n`).join(''));
}

export function helloAnswer(verb: HelloVerb, name: string, options: ResolvedSinkOptions, offer: { starttls: boolean; auth: boolean }): HelloAnswer {
  const refuse = (reply: string): HelloAnswer => ({ reply, accepted: false });
  if (options.lmtp && verb !== 'LHLO') return refuse('500 5.5.1 Error: this is LMTP, say LHLO\r\n');
  if (!options.lmtp && verb === 'LHLO') return refuse('500 5.5.1 Error: this is SMTP, say EHLO or HELO\r\n');
  if (name === '') return refuse(`501 5.5.4 Syntax: ${verb} hostname\r\n`);
  if (verb === 'HELO') return { reply: `250 ${options.hostname}\r\n`, accepted: true };
  return { reply: `250-${options.hostname} greets ${name}\r\n${extensions(options, offer)}`, accepted: true };
}

export function greeting(options: ResolvedSinkOptions): string {
  return `220 ${options.hostname} ${options.lmtp ? 'LMTP' : 'ESMTP'} mailprobe sink ready\r\n`;
}

/** Why STARTTLS (offered: the sink has a certificate) cannot start now; undefined when it can. */
export function startTlsRefusal(tls: boolean, args: string): string | undefined {
  if (tls) return '503 5.5.1 Error: TLS already active\r\n';
  if (args !== '') return '501 5.5.4 Syntax: STARTTLS\r\n';
  return undefined;
}
