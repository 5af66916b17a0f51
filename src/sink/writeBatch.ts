// The replies of every connection, written together once the event loop has handed out all
// it read in one turn (setImmediate runs after the poll phase). Written at once instead,
// each reply would wake the client between two reads of the sink; at thousands of replies a
// second those wake-ups (an interrupt to the other core, costly in a VM) took more of the
// machine than the sink's own work. Written together, one wake-up serves many connections.

export interface BatchedOutput {
  /** Writes what the connection has gathered, now. */
  sendPending(): void;
}

export class WriteBatch {
  private items: BatchedOutput[] = [];
  private spare: BatchedOutput[] = [];
  private scheduled = false;

  /** `item` has something to write: it is written at the end of this turn of the loop. */
  add(item: BatchedOutput): void {
    this.items.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    // A write may queue more (it never does synchronously, but the list is swapped to be safe).
    const items = this.items;
    this.items = this.spare;
    this.spare = items;
    for (const item of items) item.sendPending();
    items.length = 0;
  };
}
