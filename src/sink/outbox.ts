// Replies leave in the order their commands came, even when some wait: for --delay, for a
// message being saved, for the STARTTLS switch. With no delay and nothing waiting, a reply
// is written at once (the fast path: no promise, no timer).

export class Outbox {
  private tail?: Promise<void>;
  /** Replies and actions queued and not yet run. */
  private queued = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
    /** Called when the queue has emptied (to resume reading after backpressure). */
    private readonly onIdle: () => void = () => {},
  ) {}

  get backlog(): number {
    return this.queued;
  }

  get idle(): boolean {
    return this.tail === undefined;
  }

  reply(text: string): void {
    if (this.delayMs === 0 && this.tail === undefined) this.write(text);
    else this.replyLater(async () => text);
  }

  /** A reply whose text is known only after some work (saving the message). */
  replyLater(make: () => Promise<string>): void {
    this.then(async () => {
      const text = await make();
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      this.write(text);
    });
  }

  /** Runs `action` after every reply queued so far has been written. */
  then(action: () => void | Promise<void>): void {
    this.queued++;
    const tail = (this.tail ?? Promise.resolve())
      .then(action)
      .catch(this.onError)
      .finally(() => {
        this.queued--;
        if (this.tail === tail) {
          this.tail = undefined;
          this.onIdle();
        }
      });
    this.tail = tail;
  }

  /** Resolves once everything queued so far has run. */
  async drained(): Promise<void> {
    while (this.tail) await this.tail;
  }
}
