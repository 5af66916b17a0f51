// Dialogue code waiting for replies: each wait has its own time limit, and a greeting wait
// may say, after a few seconds of silence, why nothing happens yet. Oldest wait first.
import { MailprobeError, serverClosed, timeoutError } from '../errors.js';
import type { Reply } from '../protocols/types.js';

type Waiter = { resolve(reply: Reply): void; reject(error: Error): void };

/** How long a greeting may be silent before the caller is told (greet-pause). */
export const GREETING_NOTE_MS = 3000;

export class ReplyWaiters {
  private list: Waiter[] = [];

  get count(): number {
    return this.list.length;
  }

  /**
   * The next reply for `stage`, or a timeout error after `timeoutMs`. `slow` is called once
   * after GREETING_NOTE_MS while the wait goes on.
   */
  wait(stage: string, timeoutMs: number, slow?: () => void): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const greeting = stage === 'greeting';
      const timer = setTimeout(() => {
        this.list = this.list.filter((w) => w !== waiter);
        reject(timeoutError(greeting ? 'GREETING_TIMEOUT' : 'REPLY_TIMEOUT', `no ${stage} reply from the server after ${timeoutMs / 1000} s`, {
          hint: greeting ? 'if this port expects TLS from the start, try -tls; otherwise raise -timeout' : 'raise -timeout if the server is just slow',
        }));
      }, timeoutMs);
      const note = slow && setTimeout(slow, GREETING_NOTE_MS);
      note?.unref();
      const done = () => {
        clearTimeout(timer);
        clearTimeout(note);
      };
      const waiter: Waiter = {
        resolve: (reply) => (done(), resolve(reply)),
        reject: (error) => (done(), reject(error instanceof MailprobeError ? error : serverClosed(`the server closed the connection during ${stage}`))),
      };
      this.list.push(waiter);
    });
  }

  /** Hands `reply` to the oldest wait; false when nobody waits. */
  resolveNext(reply: Reply): boolean {
    const waiter = this.list.shift();
    waiter?.resolve(reply);
    return waiter !== undefined;
  }

  rejectAll(error: Error): void {
    for (const waiter of this.list.splice(0)) waiter.reject(error);
  }
}
