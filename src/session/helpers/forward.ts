// :xclient and :xforward NAME=VALUE...: tell the server who the real client is (Postfix's
// XCLIENT/XFORWARD), where the server offers the command; after XCLIENT the EHLO is
// repeated, as the extension requires, and its capabilities become the session's.
import { forward, parseAttributes, type ForwardVerb } from '../../protocols/smtp/xclient.js';
import type { Helper } from './context.js';

function forwardHelper(verb: ForwardVerb): Helper {
  const name = verb.toLowerCase();
  return {
    name,
    usage: `:${name} NAME=VALUE... (${verb === 'XCLIENT' ? 'ADDR NAME HELO PORT PROTO LOGIN DESTADDR DESTPORT' : 'ADDR NAME HELO PORT PROTO IDENT SOURCE'})`,
    summary: verb === 'XCLIENT' ? 'XCLIENT (where offered): act for another client, then EHLO again' : 'XFORWARD (where offered): name the original client for the log',
    async run(context, args) {
      const { connection, dialogue } = context;
      const outcome = await forward(connection, verb, parseAttributes(verb, args), context.capabilities.latest, dialogue);
      if (outcome.capabilities) context.capabilities.update(outcome.capabilities, !!connection.tls);
    },
  };
}

export const xclientHelper = forwardHelper('XCLIENT');
export const xforwardHelper = forwardHelper('XFORWARD');
