// Counters and latency samples for a load run, and the percentiles of the report.

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarise(samples: number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const round = (n: number) => Math.round(n * 100) / 100;
  return { count: sorted.length, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]) };
}

export class LoadStats {
  accepted = 0;
  tempFailed = 0;
  rejected = 0;
  /** Reply codes that failed a message, with how often. */
  readonly failureCodes = new Map<number, number>();
  /** The first reply seen for each of those codes (its last line), for the report. */
  readonly failureReplies = new Map<number, string>();
  connectionsOpened = 0;
  connectionsFailed = 0;
  /** Connections that sent with PIPELINING, and with BDAT (asked for and offered). */
  pipelinedConnections = 0;
  chunkedConnections = 0;
  /** Why connections failed, by message, with how often. */
  readonly connectionErrors = new Map<string, number>();
  bytesSent = 0;
  readonly connectMs: number[] = [];
  readonly tlsMs: number[] = [];
  readonly messageMs: number[] = [];
  readonly started = performance.now();

  /** A message refused (or broken off) with this reply; `reply` is its last line. */
  failed(code: number, reply: string): void {
    if (code >= 400 && code < 500) this.tempFailed++;
    else this.rejected++;
    this.failureCodes.set(code, (this.failureCodes.get(code) ?? 0) + 1);
    if (!this.failureReplies.has(code)) this.failureReplies.set(code, reply);
  }

  connectionFailed(reason: string): void {
    this.connectionsFailed++;
    this.connectionErrors.set(reason, (this.connectionErrors.get(reason) ?? 0) + 1);
  }

  get messages(): number {
    return this.accepted + this.tempFailed + this.rejected;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }
}
