// `mailprobe sink`: a fast SMTP/LMTP receiver for testing clients, relays and load tools.
export { startSink, type SinkHandle } from './server.js';
export type { FailAt, SinkCredentials, SinkMessage, SinkOptions } from './options.js';
export { DEFAULT_MAX_SIZE, DEFAULT_PORT, MAX_COMMAND_LINE } from './options.js';
export type { SinkSummary } from './stats.js';
export { RateMeter, SinkStats } from './stats.js';
export type { SinkState } from './connection.js';
