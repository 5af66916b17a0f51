// Running one helper inside a session: the replies it has not asked for yet are kept for
// it while it runs (an LMTP server's per-recipient replies come in one write).
import { MailprobeError } from '../../errors.js';
import type { ServerConnection } from '../../client/connection.js';
import type { HelperContext } from './context.js';

export type HelperRun = (context: HelperContext, args: string) => Promise<void>;

/**
 * Runs the helper; resolves with the failure that ends the session, if any. In a script
 * (or on an error that is no MailprobeError) a failed helper ends it, since what follows
 * relied on it; on a terminal the error is shown and the session goes on.
 */
export async function runHelperFor(connection: ServerConnection, context: HelperContext, run: HelperRun, args: string, how: { scripted: boolean }): Promise<{ failed: unknown } | undefined> {
  connection.collectReplies(true);
  try {
    await run(context, args);
  } catch (error) {
    if (!(error instanceof MailprobeError) || how.scripted) return { failed: error };
    context.printer.error(error);
  } finally {
    connection.collectReplies(false);
  }
  return undefined;
}
