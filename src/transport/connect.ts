// TCP connection with errors turned into mailprobe's own: name resolution, refused or
// unreachable, and timeouts, each with its exit code.
import { connect as netConnect, isIP, type NetConnectOpts, type Socket } from 'node:net';
import { MailprobeError, timeoutError, usageError } from '../errors.js';

export interface TcpOptions {
  host: string;
  port: number;
  family?: 4 | 6;
  timeoutMs: number;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'EAI_ADDRFAMILY']);

export function describeNetError(err: NodeJS.ErrnoException, where: string): MailprobeError {
  const code = err.code ?? '';
  if (DNS_CODES.has(code)) {
    return new MailprobeError('DNS', `cannot resolve ${where}: ${code === 'EAI_AGAIN' ? 'DNS lookup timed out or failed temporarily' : 'no such host'}`, {
      cause: err,
      hint: 'check the spelling, or give an IP address',
    });
  }
  if (code === 'ECONNREFUSED') {
    return new MailprobeError('CONNECT', `connection refused by ${where}`, {
      cause: err,
      hint: 'nothing listens on that port: check the port number and that the server runs',
    });
  }
  if (code === 'ERR_STREAM_WRITE_AFTER_END' || code === 'ERR_STREAM_DESTROYED') {
    return new MailprobeError('SERVER_CLOSED', `the server closed the connection to ${where}`, { cause: err });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new MailprobeError('SERVER_CLOSED', `the connection to ${where} was reset by the server`, { cause: err });
  }
  return new MailprobeError('CONNECT', `cannot connect to ${where}: ${err.message}`, { cause: err });
}

/**
 * Starts a TCP connection and returns its socket at once, still connecting: the caller
 * listens for 'connect' and 'error' (errors through describeNetError) and bounds the time
 * (route/open.ts, and the load run's watchdog).
 */
export function dialTcp(options: DialOptions): Socket {
  return netConnect(dialOptions(options));
}

export type DialOptions = Omit<TcpOptions, 'timeoutMs'> & { bind?: { address: string; port?: number } };

/**
 * What dialTcp connects with, checked once (a load run dials thousands of times with the
 * same), with the `onread` a load run reads through. Frozen: Node's Socket copies its options
 * (`{ ...options }`) and adds four of its own, and on Node 20's V8 that copy of an object that
 * is not frozen makes new hidden classes every time, and misses every inline cache after it:
 * ~11 µs a socket, against ~0.3 µs for a frozen one.
 */
export function dialOptions(options: DialOptions, onread?: NetConnectOpts['onread']): Readonly<NetConnectOpts> {
  const { host, port, family, bind } = options;
  const literal = isIP(host);
  if (family && literal && literal !== family) throw usageError(`-${family} was given but ${host} is an IPv${literal} address`);
  return Object.freeze({ host, port, family: family ?? 0, noDelay: true, localAddress: bind?.address, localPort: bind?.port, onread });
}

export function connectTimeout(where: string, timeoutMs: number): MailprobeError {
  return timeoutError('CONNECT_TIMEOUT', `no connection to ${where} after ${timeoutMs / 1000} s`, {
    hint: 'a firewall may be dropping packets; check the address and port, or raise -timeout',
  });
}
