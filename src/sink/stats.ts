// What a sink has seen: connections, messages by outcome, bytes, and the rates the status
// line and the final summary show.

export interface SinkSummary {
  connections: number;
  /** Messages given a 2xx final reply. */
  accepted: number;
  /** Messages given a 4xx (injected failures with a 4xx code). */
  tempFailed: number;
  /** Messages given a 5xx (too big, injected 5xx failures). */
  rejected: number;
  /** Connections dropped mid-DATA by --disconnect-rate. */
  dropped: number;
  /** Recipients of accepted messages. */
  recipients: number;
  /** Message bytes received (after dot-unstuffing), whatever the outcome. */
  bytes: number;
  /** AUTH attempts refused. */
  authFailed: number;
  /** Seconds since the sink started listening. */
  seconds: number;
  /** Seconds from the first MAIL FROM to the last final reply: the time traffic flowed. */
  activeSeconds: number;
  /** accepted / activeSeconds. */
  messagesPerSecond: number;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

export class SinkStats {
  connections = 0;
  open = 0;
  accepted = 0;
  tempFailed = 0;
  rejected = 0;
  dropped = 0;
  recipients = 0;
  bytes = 0;
  authFailed = 0;
  readonly started = performance.now();
  private firstMail?: number;
  private lastFinal?: number;

  transactionStarted(): void {
    this.firstMail ??= performance.now();
  }

  /** A final reply for a whole message: code decides the bucket. */
  finished(code: number, recipients: number): void {
    if (code < 400) {
      this.accepted++;
      this.recipients += recipients;
    } else if (code < 500) this.tempFailed++;
    else this.rejected++;
    this.lastFinal = performance.now();
  }

  get messages(): number {
    return this.accepted + this.tempFailed + this.rejected;
  }

  /** What another process needs to add this sink's counts to its own (the traffic window in wall-clock time). */
  part(): SinkPart {
    const wall = (t: number | undefined) => (t === undefined ? undefined : performance.timeOrigin + t);
    const { connections, open, accepted, tempFailed, rejected, dropped, recipients, bytes, authFailed } = this;
    return { connections, open, accepted, tempFailed, rejected, dropped, recipients, bytes, authFailed, firstMail: wall(this.firstMail), lastFinal: wall(this.lastFinal) };
  }

  /** The counts set to the sum of these parts (the latest of each worker), the traffic window their union. */
  setToSum(parts: Iterable<SinkPart>): void {
    this.connections = this.open = this.accepted = this.tempFailed = this.rejected = this.dropped = this.recipients = this.bytes = this.authFailed = 0;
    this.firstMail = this.lastFinal = undefined;
    const local = (t: number) => t - performance.timeOrigin;
    for (const part of parts) {
      this.connections += part.connections;
      this.open += part.open;
      this.accepted += part.accepted;
      this.tempFailed += part.tempFailed;
      this.rejected += part.rejected;
      this.dropped += part.dropped;
      this.recipients += part.recipients;
      this.bytes += part.bytes;
      this.authFailed += part.authFailed;
      if (part.firstMail !== undefined) this.firstMail = Math.min(this.firstMail ?? Infinity, local(part.firstMail));
      if (part.lastFinal !== undefined) this.lastFinal = Math.max(this.lastFinal ?? -Infinity, local(part.lastFinal));
    }
  }

  summary(): SinkSummary {
    const now = performance.now();
    const active = this.firstMail !== undefined && this.lastFinal !== undefined ? Math.max(0, this.lastFinal - this.firstMail) / 1000 : 0;
    return {
      connections: this.connections,
      accepted: this.accepted,
      tempFailed: this.tempFailed,
      rejected: this.rejected,
      dropped: this.dropped,
      recipients: this.recipients,
      bytes: this.bytes,
      authFailed: this.authFailed,
      seconds: round((now - this.started) / 1000, 3),
      activeSeconds: round(active, 3),
      messagesPerSecond: active > 0 ? round(this.accepted / active, 1) : 0,
    };
  }
}

/** A sink's counts as one process sends them to another (sink --workers). */
export interface SinkPart extends Omit<SinkSummary, 'seconds' | 'activeSeconds' | 'messagesPerSecond'> {
  open: number;
  /** Wall-clock milliseconds (performance.timeOrigin based), comparable across processes. */
  firstMail?: number;
  lastFinal?: number;
}

/** Accepted messages per second between two looks, for a status line redrawn every so often. */
export class RateMeter {
  private lastCount = 0;
  private lastAt = performance.now();

  constructor(private readonly stats: SinkStats) {}

  sample(): number {
    const now = performance.now();
    const count = this.stats.accepted;
    const rate = now > this.lastAt ? ((count - this.lastCount) * 1000) / (now - this.lastAt) : 0;
    this.lastCount = count;
    this.lastAt = now;
    return Math.round(rate * 10) / 10;
  }
}
