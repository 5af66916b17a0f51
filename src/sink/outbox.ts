// Replies leave in the order their commands came, even when some wait: for --delay, for a
// message being saved, for the STARTTLS switch. With no delay and nothing waiting, a reply
// is handed to the connection at once (the fast path: no promise, no timer).

/** Where an outbox's replies go: its connection (an interface, not closures: a sink makes one a connection). */
export interface OutboxOwner {
  /** Writes a reply, now. */
  deliver(text: string): void;
  /** A queued action failed: the connection is given up. */
  outboxFailed(error: unknown): void;
  /** The queue has emptied (reading may resume after backpressure). */
  outboxIdle(): void;
}

export class Outbox {
  private tail?: Promise<void>;
  /** Replies and actions queued and not yet run. */
  private queued = 0;

  constructor(
    private readonly owner: OutboxOwner,
    private readonly delayMs: number,
  ) {}

  get backlog(): number {
    return this.queued;
  }

  get idle(): boolean {
    return this.tail === undefined;
  }

  reply(text: string): void {
    if (this.delayMs === 0 && this.tail === undefined) this.owner.deliver(text);
    else this.replyLater(async () => text);
  }

  /** A reply whose text is known only after some work (saving the message). */
  replyLater(make: () => Promise<string>): void {
    this.then(async () => {
      const text = await make();
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      this.owner.deliver(text);
    });
  }

  /** Runs `action` after every reply queued so far has been written. */
  then(action: () => void | Promise<void>): void {
    this.queued++;
    const tail = (this.tail ?? Promise.resolve())
      .then(action)
      .catch((error: unknown) => this.owner.outboxFailed(error))
      .finally(() => {
        this.queued--;
        if (this.tail === tail) {
          this.tail = undefined;
          this.owner.outboxIdle();
        }
      });
    this.tail = tail;
  }

  /** Resolves once everything queued so far has run. */
  async drained(): Promise<void> {
    while (this.tail) await this.tail;
  }
}
