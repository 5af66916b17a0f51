// Counters and latency samples for a load run, and the percentiles of the report.
import { now } from '../clock.js';

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
  readonly started = now();

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
    return now() - this.started;
  }

  /** The counters the progress line shows, as another thread posts them. */
  progress(): LoadProgress {
    return { accepted: this.accepted, tempFailed: this.tempFailed, rejected: this.rejected, connectionsOpened: this.connectionsOpened, connectionsFailed: this.connectionsFailed };
  }

  /** Everything the report needs, cloneable to another thread (the samples as transferable arrays). */
  part(): LoadPart {
    return {
      ...this.progress(),
      pipelinedConnections: this.pipelinedConnections,
      chunkedConnections: this.chunkedConnections,
      bytesSent: this.bytesSent,
      failureCodes: [...this.failureCodes],
      failureReplies: [...this.failureReplies],
      connectionErrors: [...this.connectionErrors],
      connectMs: Float64Array.from(this.connectMs),
      tlsMs: Float64Array.from(this.tlsMs),
      messageMs: Float64Array.from(this.messageMs),
    };
  }

  /** Adds another thread's part: counts summed, samples joined (so percentiles stay exact). */
  add(part: LoadPart): void {
    this.addProgress(part);
    this.pipelinedConnections += part.pipelinedConnections;
    this.chunkedConnections += part.chunkedConnections;
    this.bytesSent += part.bytesSent;
    for (const [code, n] of part.failureCodes) this.failureCodes.set(code, (this.failureCodes.get(code) ?? 0) + n);
    for (const [code, reply] of part.failureReplies) if (!this.failureReplies.has(code)) this.failureReplies.set(code, reply);
    for (const [reason, n] of part.connectionErrors) this.connectionErrors.set(reason, (this.connectionErrors.get(reason) ?? 0) + n);
    for (const sample of part.connectMs) this.connectMs.push(sample);
    for (const sample of part.tlsMs) this.tlsMs.push(sample);
    for (const sample of part.messageMs) this.messageMs.push(sample);
  }

  /** The progress counters set to the sum of every thread's latest. */
  showProgress(parts: Iterable<LoadProgress>): void {
    this.accepted = this.tempFailed = this.rejected = this.connectionsOpened = this.connectionsFailed = 0;
    for (const part of parts) this.addProgress(part);
  }

  private addProgress(part: LoadProgress): void {
    this.accepted += part.accepted;
    this.tempFailed += part.tempFailed;
    this.rejected += part.rejected;
    this.connectionsOpened += part.connectionsOpened;
    this.connectionsFailed += part.connectionsFailed;
  }
}

export interface LoadProgress {
  accepted: number;
  tempFailed: number;
  rejected: number;
  connectionsOpened: number;
  connectionsFailed: number;
}

export interface LoadPart extends LoadProgress {
  pipelinedConnections: number;
  chunkedConnections: number;
  bytesSent: number;
  failureCodes: [number, number][];
  failureReplies: [number, string][];
  connectionErrors: [string, number][];
  connectMs: Float64Array;
  tlsMs: Float64Array;
  messageMs: Float64Array;
}
