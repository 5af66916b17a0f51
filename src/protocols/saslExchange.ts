// Runs a SASL exchange (RFC 4422) through a protocol's profile: the command with an
// initial response where allowed, each challenge answered, the result read. Every line
// the client sends is secret and shown redacted. A malformed challenge or a server that
// cannot prove itself (SCRAM) aborts the exchange: fail closed.
import { MailprobeError } from '../errors.js';
import { decodeBase64Strict, encodeBase64, SaslError, type SaslClient } from '../sasl/index.js';
import { DEFAULT_MAX_LINE } from './lineSplitter.js';
import type { Capabilities, DialogueContext, Exchange, Reply, SaslProfile } from './types.js';

import { REDACTED } from './credentials.js';

export { REDACTED };

export interface AuthOutcome {
  ok: boolean;
  reply: Reply;
}

const MAX_ROUNDS = 10;

function abort(exchange: Exchange, profile: SaslProfile, message: string, cause?: unknown): never {
  exchange.send(profile.cancel);
  throw new MailprobeError('AUTH_FAILED', message, { cause });
}

export async function runSasl(
  exchange: Exchange,
  profile: SaslProfile,
  client: SaslClient,
  context: DialogueContext,
  capabilities: Capabilities | undefined,
): Promise<AuthOutcome> {
  const initial = profile.acceptsInitialResponse(capabilities) ? client.initialResponse() : undefined;
  const initialBase64 = initial === undefined ? undefined : encodeBase64(initial);
  const command = profile.command(client.mechanism, initialBase64, context);
  // The initial response is the last word of the command (quoted in ManageSieve).
  const shown = initialBase64 === undefined || initialBase64 === '' ? command : command.slice(0, command.lastIndexOf(initialBase64)) + REDACTED + command.slice(command.lastIndexOf(initialBase64) + initialBase64.length);
  exchange.send(command, shown);
  let finished = false;
  let verified = !client.verifyFinal;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const reply = await exchange.reply('AUTH');
    if (reply.lines.some((line) => line.continued)) {
      abort(exchange, profile, `the server sent a line too long to be a SASL reply (over ${DEFAULT_MAX_LINE} bytes), so the ${client.mechanism} exchange was cancelled`);
    }
    const outcome = profile.outcome(reply);
    if (outcome.kind === 'failure') return { ok: false, reply };
    if (outcome.kind === 'success') {
      if (!verified && outcome.base64 !== undefined) {
        const data = decodeBase64Strict(outcome.base64);
        if (!data) throw new MailprobeError('AUTH_FAILED', 'the server\'s final SASL data is not valid base64');
        verifyFinal(client, data);
        verified = true;
      }
      if (!verified) {
        throw new MailprobeError('AUTH_FAILED', `the server accepted ${client.mechanism} without proving it knows the password (no server signature): treat this server as an impostor`);
      }
      return { ok: true, reply };
    }
    const data = decodeBase64Strict(outcome.base64);
    if (!data) abort(exchange, profile, `the server sent a challenge that is not valid base64, so the ${client.mechanism} exchange was cancelled`);
    try {
      if (finished && client.verifyFinal) {
        client.verifyFinal(data);
        verified = true;
        exchange.send(profile.response(''), profile.response(''));
        continue;
      }
      const step = client.respond(data);
      finished = !!step.done;
      const encoded = encodeBase64(step.response);
      exchange.send(profile.response(encoded), profile.response(encoded === '' ? '' : REDACTED));
    } catch (error) {
      if (error instanceof SaslError) abort(exchange, profile, `${client.mechanism}: ${error.message}; the exchange was cancelled`, error);
      throw error;
    }
  }
  abort(exchange, profile, `the server sent more than ${MAX_ROUNDS} challenges; the exchange was cancelled`);
}

function verifyFinal(client: SaslClient, data: Buffer): void {
  try {
    client.verifyFinal?.(data);
  } catch (error) {
    if (error instanceof SaslError) throw new MailprobeError('AUTH_FAILED', `${client.mechanism}: ${error.message}`, { cause: error });
    throw error;
  }
}
