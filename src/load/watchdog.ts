// One clock and one timer for every connection of a load run. A timer per connection, pushed
// back by every reply, costs more than the message it guards at thousands a second; here a
// connection only writes its deadline in a field, and a tick a few times a second expires
// the ones past it. A limit is kept to within two ticks, never cut short.

export interface Watched {
  /** performance.now() milliseconds after which the connection has waited too long; 0: none. */
  deadline: number;
  expire(): void;
}

export class Watchdog {
  /** The run's clock, as of the last tick (or the last watch). */
  private now = performance.now();
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = 250) {}

  watch(item: Watched): void {
    this.watched.add(item);
    if (this.timer) return;
    this.now = performance.now();
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  unwatch(item: Watched): void {
    this.watched.delete(item);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** A deadline `ms` from now: the clock may be a tick old, so a tick is added. */
  after(ms: number): number {
    return this.now + ms + this.tickMs;
  }

  private tick(): void {
    this.now = performance.now();
    for (const item of this.watched) if (item.deadline !== 0 && item.deadline <= this.now) item.expire();
  }
}
