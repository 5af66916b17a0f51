// :xclient and :xforward NAME=VALUE...: tell the server who the real client is (Postfix's
// XCLIENT/XFORWARD), where the server offers the command; after XCLIENT the EHLO is
// repeated, as the extension requires, and its capabilities become the session's.
import { forward, parseAttributes, type ForwardVerb } from '../../protocols/smtp/xclient.js';
import type { Helper } from './context.js';

function forwardHelper(verb: ForwardVerb): Helper {
  const name = verb.toLowerCase();
  return {
    name,
    usage: `:${name} NAME=VALUE...`,
    summary: verb === 'XCLIENT' ? 'XCLIENT ADDR= NAME= HELO= … where offered: act for another client, then EHLO again' : 'XFORWARD ADDR= NAME= HELO= … where offered: name the original client',
    async run(context, args) {
      const { connection, dialogue } = context;
      const outcome = await forward(connection, verb, parseAttributes(verb, args), context.capabilities.latest, dialogue);
      if (outcome.capabilities) context.capabilities.update(outcome.capabilities, !!connection.tls);
    },
  };
}

export const xclientHelper = forwardHelper('XCLIENT');
export const xforwardHelper = forwardHelper('XFORWARD');
