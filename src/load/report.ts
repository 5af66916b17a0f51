// What `mailprobe load` shows: a single updating progress line on a terminal, and the
// final report (or its JSON). Connection errors quote what the server said, so the report
// escapes every name it prints that did not come from mailprobe itself.
import type { LoadStats, LatencySummary } from './stats.js';
import { summarise } from './stats.js';
import { formatSize } from '../terminal/size.js';
import { counted } from '../terminal/numbers.js';
import { escapeText } from '../terminal/escape.js';
import { jsonDocument } from '../terminal/json.js';
import type { SafeText } from '../terminal/safeText.js';


export function progressLine(stats: LoadStats): string {
  const seconds = stats.elapsedMs() / 1000;
  const rate = seconds > 0 ? stats.accepted / seconds : 0;
  return `sent ${stats.messages} (${stats.accepted} accepted, ${stats.tempFailed} 4xx, ${stats.rejected} 5xx), ${rate.toFixed(1)} accepted/s, ${counted(stats.connectionsFailed, 'connection error')}, ${seconds.toFixed(1)} s`;
}

export interface LoadSummary {
  target: string;
  mode: string;
  protocol: string;
  connections: number;
  /** Threads the connections ran on (--workers). */
  workers: number;
  accepted: number;
  tempFailed: number;
  rejected: number;
  failureCodes: Record<string, number>;
  /** The first reply (its last line, as the server sent it) for each code in failureCodes. */
  failureReplies: Record<string, string>;
  connectionsOpened: number;
  connectionsFailed: number;
  /** What was asked for, and on how many connections the server's offer allowed it. */
  dialogue: { pipelining: boolean; bdat: boolean; rsetBetweenMessages: boolean; pipelinedConnections: number; bdatConnections: number };
  connectionErrors: Record<string, number>;
  bytesSent: number;
  elapsedMs: number;
  /** Messages the server accepted per second: refused ones are not throughput. */
  acceptedPerSecond: number;
  /** Messages sent (accepted or not) per second. */
  sentPerSecond: number;
  /** Bytes of message content sent per second. */
  bytesPerSecond: number;
  /** Stopped by Ctrl-C: the counts are those of the run until then. */
  interrupted: boolean;
  latencyMs: { connect: LatencySummary; tls: LatencySummary; message: LatencySummary };
}

export interface LoadAsked {
  pipelining: boolean;
  bdat: boolean;
  rset: boolean;
}

export function loadSummary(stats: LoadStats, target: string, mode: string, protocol: string, connections: number, asked: LoadAsked, interrupted = false, workers = 1): LoadSummary {
  const elapsedMs = stats.elapsedMs();
  const perSecond = (n: number) => Math.round((n / (elapsedMs / 1000)) * 10) / 10;
  return {
    target,
    mode,
    protocol,
    connections,
    workers,
    accepted: stats.accepted,
    tempFailed: stats.tempFailed,
    rejected: stats.rejected,
    failureCodes: Object.fromEntries([...stats.failureCodes].map(([code, n]) => [String(code), n])),
    failureReplies: Object.fromEntries([...stats.failureReplies].map(([code, reply]) => [String(code), reply])),
    connectionsOpened: stats.connectionsOpened,
    connectionsFailed: stats.connectionsFailed,
    dialogue: {
      pipelining: asked.pipelining,
      bdat: asked.bdat,
      rsetBetweenMessages: asked.rset,
      pipelinedConnections: stats.pipelinedConnections,
      bdatConnections: stats.chunkedConnections,
    },
    connectionErrors: Object.fromEntries(stats.connectionErrors),
    bytesSent: stats.bytesSent,
    elapsedMs: Math.round(elapsedMs),
    acceptedPerSecond: perSecond(stats.accepted),
    sentPerSecond: perSecond(stats.messages),
    bytesPerSecond: perSecond(stats.bytesSent),
    interrupted,
    latencyMs: { connect: summarise(stats.connectMs), tls: summarise(stats.tlsMs), message: summarise(stats.messageMs) },
  };
}

/** Plain text lines (no colour), each passed whole through the escaper: reasons quote servers. */
export function formatLoadReport(summary: LoadSummary): SafeText[] {
  // One line per refusing code, with the first reply seen for it: "4 × 451 4.3.0 try later".
  const refusals = Object.entries(summary.failureCodes).map(([code, n]) => {
    const reply = summary.failureReplies[code] ?? '';
    return `  ${n} × ${reply.startsWith(code) ? reply : `${code} ${reply}`.trimEnd()}`;
  });
  const row = (name: string, l: LatencySummary) =>
    `  ${name.padEnd(8)} ${[l.p50, l.p90, l.p99, l.max].map((n) => n.toFixed(2).padStart(9)).join('')}   (${l.count})`;
  const lines = [
    `load: ${summary.target} (${summary.mode} ${summary.protocol}), ${counted(summary.connections, 'concurrent connection')}${summary.workers > 1 ? ` over ${summary.workers} threads` : ''}`,
    ...(summary.interrupted ? ['interrupted  by Ctrl-C: the counts cover the run until then'] : []),
    `messages     ${summary.accepted + summary.tempFailed + summary.rejected} sent: ${summary.accepted} accepted, ${summary.tempFailed} temp-failed, ${summary.rejected} rejected`,
    ...refusals,
    `connections  ${summary.connectionsOpened} opened, ${summary.connectionsFailed} failed`,
    ...Object.entries(summary.connectionErrors).map(([reason, n]) => `  ${n} × ${reason}`),
    `dialogue     ${dialogueLine(summary)}`,
    `rate         ${summary.acceptedPerSecond} accepted messages/s (${summary.sentPerSecond} sent/s), ${formatSize(summary.bytesPerSecond)}/s sent over ${(summary.elapsedMs / 1000).toFixed(2)} s`,
    `latency (ms)      p50      p90      p99      max`,
    row('connect', summary.latencyMs.connect),
    row('tls', summary.latencyMs.tls),
    row('message', summary.latencyMs.message),
  ];
  return lines.map((line) => escapeText(line));
}

export function loadJson(summary: LoadSummary): string {
  return jsonDocument(summary);
}

/** "BDAT on 0 of 4 connections (CHUNKING not offered)" and the like. */
function dialogueLine(summary: LoadSummary): string {
  const { dialogue, connectionsOpened } = summary;
  // What ran, where it was asked for: the extension on all connections, on none (not offered), or on some.
  const used = (name: string, fallback: string, keyword: string, n: number) =>
    n === 0 ? `${fallback} (${keyword} not offered)` : n >= connectionsOpened ? name : `${name} on ${n} of ${counted(connectionsOpened, 'connection')} (${keyword} not offered on the others)`;
  // With DATA, each envelope after the first goes with the end of the message before it.
  const allBdat = dialogue.bdat && dialogue.bdatConnections >= connectionsOpened;
  const pipelined = `PIPELINING (${allBdat ? '' : 'each envelope with the message before, '}QUIT with the last message)`;
  const parts = [
    dialogue.bdat ? used('BDAT', 'DATA', 'CHUNKING', dialogue.bdatConnections) : 'DATA',
    dialogue.pipelining ? used(pipelined, 'one command at a time', 'PIPELINING', dialogue.pipelinedConnections) : 'one command at a time',
    dialogue.rsetBetweenMessages ? 'RSET between messages' : 'RSET only after a refusal',
  ];
  return parts.join(', ');
}
