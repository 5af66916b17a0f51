// What a sink is asked to be: where it listens, which protocol, TLS and AUTH, the limits,
// and the faults it injects. Defaults live here so the CLI and `mailprobe demo` agree.
import { hostname } from 'node:os';
import { usageError } from '../errors.js';

export interface SinkCredentials {
  user: string;
  password: string;
}

/** Where an injected failure (--fail-rate) is given: to every RCPT, or after the message. */
export type FailAt = 'rcpt' | 'data';

export interface SinkMessage {
  /** The queue id given in the reply (also the file name under saveDir, plus ".eml"). */
  id: string;
  from: string;
  recipients: string[];
  /** Message bytes after dot-unstuffing (DATA) or as sent (BDAT). */
  size: number;
  /** Where the message was saved, with saveDir. */
  file?: string;
}

export interface SinkOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 2525; 0 picks a free port (read it from the handle). */
  port?: number;
  /** Name in the greeting and the EHLO reply; default this machine's host name. */
  hostname?: string;
  /** Speak LMTP: LHLO instead of EHLO/HELO, one reply per recipient after the message. */
  lmtp?: boolean;
  /** PEM certificate (chain) and key: STARTTLS is offered when both are given. */
  certPem?: string;
  keyPem?: string;
  /** Only these credentials are accepted; without it any credentials are. */
  auth?: SinkCredentials;
  /** Advertised with SIZE; bigger messages get 552. Default 35882577. */
  maxSize?: number;
  /** Wait this long before every reply. */
  delayMs?: number;
  /** A client silent this long gets 421 and is closed. Default 300000 (5 minutes). */
  idleTimeoutMs?: number;
  /** Fraction (0..1) of transactions that get failCode. */
  failRate?: number;
  /** Default 451. */
  failCode?: number;
  /** Default 'data': the reply after the message content. */
  failAt?: FailAt;
  /** Fraction (0..1) of transactions whose connection is dropped once DATA (or BDAT) starts. */
  disconnectRate?: number;
  /** Seed for the fault decisions, for repeatable runs; default Math.random. */
  seed?: number;
  /** Write every accepted message to DIR/<id>.eml. */
  saveDir?: string;
  /** Called for every accepted message, once its reply has been written. */
  onMessage?(message: SinkMessage): void;
}

export const DEFAULT_PORT = 2525;
export const DEFAULT_MAX_SIZE = 35_882_577;
export const DEFAULT_FAIL_CODE = 451;
/** Command lines (and SASL responses) longer than this, without the line ending, get 500. */
export const MAX_COMMAND_LINE = 4096;
/** RCPTs beyond this in one transaction get 452 (RFC 5321 §4.5.3.1.8 asks for at least 100). */
export const MAX_RECIPIENTS = 1000;

export type ResolvedSinkOptions = Required<Omit<SinkOptions, 'certPem' | 'keyPem' | 'auth' | 'seed' | 'saveDir' | 'onMessage'>> &
  Pick<SinkOptions, 'certPem' | 'keyPem' | 'auth' | 'seed' | 'saveDir' | 'onMessage'>;

function fraction(value: number | undefined, name: string): number {
  const n = value ?? 0;
  if (!(n >= 0 && n <= 1)) throw usageError(`${name} must be between 0 and 1, not ${String(value)}`);
  return n;
}

export function resolveSinkOptions(options: SinkOptions): ResolvedSinkOptions {
  const failCode = options.failCode ?? DEFAULT_FAIL_CODE;
  if (!Number.isInteger(failCode) || failCode < 400 || failCode > 599) throw usageError(`the fail code must be 4xx or 5xx, not ${failCode}`);
  if ((options.certPem === undefined) !== (options.keyPem === undefined)) throw usageError('give both a certificate and a key, or neither');
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw usageError(`the maximum size must be a positive whole number, not ${maxSize}`);
  return {
    ...options,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? DEFAULT_PORT,
    hostname: options.hostname ?? (hostname() || 'localhost'),
    lmtp: options.lmtp ?? false,
    maxSize,
    delayMs: Math.max(0, options.delayMs ?? 0),
    idleTimeoutMs: options.idleTimeoutMs ?? 300_000,
    failRate: fraction(options.failRate, 'failRate'),
    failCode,
    failAt: options.failAt ?? 'data',
    disconnectRate: fraction(options.disconnectRate, 'disconnectRate'),
  };
}
