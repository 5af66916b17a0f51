// A load run: C connection lanes, each opening connections one after another, sharing
// one message budget (a count or a deadline); Ctrl-C stops taking new messages, and
// every connection still ends with QUIT.
import type { MailprobeError } from '../errors.js';
import type { SessionOptions } from '../client/options.js';
import { HeaderMaker, makeBody } from './message.js';
import { LoadStats } from './stats.js';
import { makeEnvelope, runConnection } from './connection.js';
import { Watchdog } from './watchdog.js';
import { localBudget, type Budget } from './budget.js';

export interface LoadOptions {
  session: SessionOptions;
  connections: number;
  /** Total messages; undefined with a duration. */
  messages?: number;
  durationMs?: number;
  perConnection: number;
  size: number;
  from: string;
  to: string[];
  pipelining: boolean;
  bdat: boolean;
  rset: boolean;
  user?: string;
  password?: string;
  /** Shared with other threads' runs (--workers); else made from messages and durationMs. */
  budget?: Budget;
  /** No connection opens before this settles (another thread's first login, with --workers). */
  startAfter?: Promise<void>;
}

export interface LoadRun {
  stats: LoadStats;
  /** Why the run stopped on its own (a refused login), if it did. */
  aborted(): MailprobeError | undefined;
  /** Stop taking new messages (Ctrl-C); the promise of run() then settles. */
  stop(): void;
  done: Promise<LoadStats>;
  /** Settles once the first connection has had its try at logging in (at once without a login). */
  firstLogin: Promise<void>;
}

export function startLoad(options: LoadOptions): LoadRun {
  const stats = new LoadStats();
  const watchdog = new Watchdog();
  const budget = options.budget ?? localBudget(options);
  let aborted: MailprobeError | undefined;
  const domain = options.from.split('@')[1] ?? 'mailprobe.invalid';
  const plan = {
    session: options.session,
    perConnection: options.perConnection,
    envelope: makeEnvelope(options.from, options.to),
    pipelining: options.pipelining,
    bdat: options.bdat,
    rset: options.rset,
    user: options.user,
    password: options.password,
    body: makeBody(options.size),
    headers: new HeaderMaker(options.from, options.to, domain),
    take: budget.take,
    giveBack: budget.giveBack,
    abort: (error: MailprobeError) => {
      budget.stop();
      aborted ??= error;
      loggedIn();
    },
    loginSucceeded: () => {},
  };
  // With a login, one connection logs in before the others start: a wrong password is then
  // refused once, not once per connection.
  let loggedIn!: () => void;
  const firstLogin = new Promise<void>((resolve) => (loggedIn = resolve));
  if (options.user === undefined) loggedIn();
  plan.loginSucceeded = () => loggedIn();
  /** A lane: connections one after another while the budget lasts; resolves when it stops. */
  const lane = async (_: unknown, index: number) => {
    if (options.startAfter) await options.startAfter;
    if (index > 0) await firstLogin;
    await new Promise<void>((resolve) => {
      const next = () => {
        if (!budget.has()) return resolve();
        const before = stats.connectionsOpened + stats.connectionsFailed;
        runConnection(plan, stats, watchdog, () => {
          // The first lane's first connection has had its try at logging in, whatever came of it.
          if (index === 0) loggedIn();
          // A lane whose connections all fail would spin: give up after a refused connect.
          if (stats.connectionsOpened + stats.connectionsFailed === before) return resolve();
          if (stats.connectionsFailed > 0 && stats.connectionsOpened === 0) return resolve();
          next();
        });
      };
      next();
    });
    if (index === 0) loggedIn();
  };
  const done = Promise.all(Array.from({ length: options.connections }, lane)).then(() => {
    loggedIn();
    return stats;
  });
  return {
    stats,
    aborted: () => aborted,
    stop: budget.stop,
    done,
    firstLogin,
  };
}
