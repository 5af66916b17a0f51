// What a load run may still send: a count of messages, a deadline, or both unbounded until
// stopped. One run's lanes share one budget; with --workers, the threads share one through
// a SharedArrayBuffer, so a fast thread takes more messages and Ctrl-C or a refused login in
// any thread stops them all at once.
import { now } from '../clock.js';

export interface Budget {
  /** Takes one message; false when the run is over (count spent, time up, or stopped). */
  take(): boolean;
  /** Returns a message taken and never sent (its connection failed first). */
  giveBack(): void;
  /** Whether a message could still be taken (without taking it). */
  has(): boolean;
  /** No more messages, in every lane (and every thread). */
  stop(): void;
}

export interface BudgetLimits {
  /** Messages in all; undefined when the run goes by time. */
  messages?: number;
  /** Milliseconds from now; undefined when the run goes by count. */
  durationMs?: number;
}

/** The clock is read only when the run has a duration. */
function timeIsUp(durationMs: number | undefined): () => boolean {
  if (durationMs === undefined) return () => false;
  const deadline = now() + durationMs;
  return () => now() >= deadline;
}

export function localBudget(limits: BudgetLimits): Budget {
  let remaining = limits.messages ?? Number.POSITIVE_INFINITY;
  let stopped = false;
  const late = timeIsUp(limits.durationMs);
  const has = () => !stopped && remaining > 0 && !late();
  return {
    take: () => {
      if (!has()) return false;
      remaining--;
      return true;
    },
    giveBack: () => {
      remaining++;
    },
    has,
    stop: () => {
      stopped = true;
    },
  };
}

// Layout of the shared budget: the messages left (when counted), and a stop flag.
const REMAINING = 0;
const STOPPED = 1;
/** The most messages a shared budget counts (an Int32 slot). */
export const SHARED_BUDGET_MAX = 0x7fffffff;

/** The memory every thread's budget reads; made once by the thread that starts the others. */
export function sharedBudgetMemory(messages: number | undefined): SharedArrayBuffer {
  const memory = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  if (messages !== undefined) Atomics.store(new Int32Array(memory), REMAINING, messages);
  return memory;
}

/** A budget over memory from sharedBudgetMemory; counted when `counted`, else by time only. */
export function sharedBudget(memory: SharedArrayBuffer, counted: boolean, durationMs: number | undefined): Budget {
  const slots = new Int32Array(memory);
  const late = timeIsUp(durationMs);
  const has = () => Atomics.load(slots, STOPPED) === 0 && (!counted || Atomics.load(slots, REMAINING) > 0) && !late();
  return {
    take: () => {
      if (Atomics.load(slots, STOPPED) !== 0 || late()) return false;
      if (!counted) return true;
      // sub returns the value before: nothing was left if it was 0 (or below, in a race).
      if (Atomics.sub(slots, REMAINING, 1) > 0) return true;
      Atomics.add(slots, REMAINING, 1);
      return false;
    },
    giveBack: () => {
      if (counted) Atomics.add(slots, REMAINING, 1);
    },
    has,
    stop: () => {
      Atomics.store(slots, STOPPED, 1);
    },
  };
}
