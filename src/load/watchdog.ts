// One clock and one timer for every connection of a load run. A timer per connection, pushed
// back by every reply, costs more than the message it guards at thousands a second; here a
// connection only writes its deadline in a field, and a tick a few times a second expires
// the ones past it. A limit is kept to within two ticks, never cut short.
import { now } from '../clock.js';

export interface Watched {
  /** Milliseconds (clock.ts now()) after which the connection has waited too long; 0: none. */
  deadline: number;
  /** Where the watchdog holds it (its own bookkeeping), -1 when not watched. */
  watchSlot: number;
  expire(): void;
}

export class Watchdog {
  /** The run's clock, as of the last tick (or the last watch). */
  private time = now();
  /**
   * What is watched, in no order: an item knows its slot, and the last item fills a slot
   * left free. A Set would give each connection an identity hash (a property store) to
   * find it by, thousands of times a second.
   */
  private readonly watched: Watched[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 250) {}

  watch(item: Watched): void {
    if (item.watchSlot !== -1) return;
    item.watchSlot = this.watched.push(item) - 1;
    if (this.timer) return;
    this.time = now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  unwatch(item: Watched): void {
    const slot = item.watchSlot;
    if (slot === -1) return;
    item.watchSlot = -1;
    const last = this.watched.pop() as Watched;
    if (last !== item) {
      this.watched[slot] = last;
      last.watchSlot = slot;
    }
    if (this.watched.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A deadline `ms` from now: the clock may be a tick old, so a tick is added. */
  after(ms: number): number {
    return this.time + ms + this.tickMs;
  }

  private tick(): void {
    this.time = now();
    // From the end: an item that expires and leaves takes the last one into its slot, which
    // has been looked at already (or was added by the expiry, with a fresh deadline).
    for (let i = this.watched.length - 1; i >= 0; i--) {
      const item = this.watched[i];
      if (item !== undefined && item.deadline !== 0 && item.deadline <= this.time) item.expire();
    }
  }
}
