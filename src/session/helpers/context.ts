// What a helper command can use: the live connection, the protocol, the terminal, and
// the session's memory (capabilities, the last envelope).
import type { DialogueContext, ProtocolSpec } from '../../protocols/types.js';
import type { Printer } from '../../terminal/printer.js';
import type { CapabilityWatch } from '../capabilityWatch.js';
import type { ServerConnection } from '../../client/connection.js';
import type { SessionOptions } from '../../client/options.js';
import type { QuitStage } from '../script.js';

export interface HelperContext {
  connection: ServerConnection;
  protocol: ProtocolSpec;
  dialogue: DialogueContext;
  printer: Printer;
  options: SessionOptions;
  capabilities: CapabilityWatch;
  /** The password or token: given, from the environment or file, or asked for without echo (undefined: none typed). */
  secret(given: string | undefined, question: string): Promise<string | undefined>;
  /** The envelope seen last in this session (for the test message's From/To). */
  envelope: { from?: string; to: string[] };
  /** Ends the session after the helper (:quit). */
  quit(): Promise<void>;
  /** Tells the session a --quit-after stage is done (a helper's login). */
  reached(stage: QuitStage): void;
}

export interface Helper {
  name: string;
  usage: string;
  summary: string;
  run(context: HelperContext, args: string): Promise<void>;
}

export function words(args: string): string[] {
  return args.trim().split(/\s+/).filter(Boolean);
}

/** What a command sent says of the envelope (MAIL FROM starts one, RCPT TO adds to it), remembered. */
export function followEnvelope(envelope: HelperContext['envelope'], protocol: ProtocolSpec, wire: string): void {
  const step = protocol.envelopeOf?.(wire);
  if (step && 'from' in step) Object.assign(envelope, { from: step.from, to: [] });
  else if (step) envelope.to.push(step.to);
}
