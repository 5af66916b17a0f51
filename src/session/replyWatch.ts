// Without a person at the keyboard nobody would notice a server gone silent: every reply a
// piped or scripted session waits for is bounded by -timeout. Each reply re-arms the limit,
// so a trickle of bytes cannot extend it.
export class ReplyWatchdog {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    /** Called when the limit passed; it decides whether a reply is still owed. */
    private readonly silent: () => void,
  ) {}

  /** Starts the limit over while a reply is owed; stops it when none is. */
  arm(owed: boolean): void {
    clearTimeout(this.timer);
    if (!owed) return;
    this.timer = setTimeout(this.silent, this.timeoutMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
