// The tunnel through an HTTP proxy: `CONNECT host:port` (RFC 9110 §9.3.6), Basic
// credentials when given (RFC 7617), and the proxy's answer read to its blank line. Any 2xx
// opens the tunnel; whatever arrived after the blank line is the server's (put back).
import type { Socket } from 'node:net';
import { MailprobeError } from '../../errors.js';
import { HeadError, readHead } from './readHead.js';
import type { HostPort, ProxyCredentials } from './types.js';

/** An answer's head longer than this is no proxy's. */
const MAX_HEAD = 16 * 1024;

/** "host:port", with an IPv6 literal in brackets (RFC 9110 §7.2, authority form). */
export function authority(target: HostPort): string {
  return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

export function connectRequest(target: HostPort, credentials?: ProxyCredentials): string {
  const lines = [`CONNECT ${authority(target)} HTTP/1.1`, `Host: ${authority(target)}`];
  if (credentials) lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64')}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Where the head ends (after its blank line), once it has. */
function headLength(bytes: Buffer): number | undefined {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  const ends = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((n) => n >= 0);
  return ends.length ? Math.min(...ends) : undefined;
}

export async function httpTunnel(socket: Socket, target: HostPort, proxy: string, credentials?: ProxyCredentials): Promise<void> {
  socket.write(connectRequest(target, credentials));
  let head: Buffer;
  try {
    head = await readHead(socket, headLength, MAX_HEAD);
  } catch (error) {
    if (error instanceof HeadError) throw new MailprobeError('PROXY', `HTTP proxy ${proxy}: ${error.message} before answering CONNECT`, { bytes: error.received });
    throw error;
  }
  const statusLine = head.toString('latin1').split(/\r?\n/, 1)[0];
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) throw new MailprobeError('PROXY', `HTTP proxy ${proxy} did not answer CONNECT with an HTTP status line`, { bytes: head, hint: 'is it an HTTP proxy? For SOCKS5 use --socks5' });
  const code = Number(status[1]);
  if (code >= 200 && code < 300) return;
  const said = `${code}${status[2] ? ` ${status[2]}` : ''}`;
  if (code === 407) {
    throw new MailprobeError('PROXY', credentials ? `HTTP proxy ${proxy} refused the credentials of ${credentials.user}: ${said}` : `HTTP proxy ${proxy} wants credentials: ${said}`, {
      hint: credentials ? 'check -proxy_user and -proxy_pass' : 'give -proxy_user USER and -proxy_pass pass:… / env:VAR / file:PATH',
    });
  }
  throw new MailprobeError('PROXY', `HTTP proxy ${proxy} refused the tunnel to ${authority(target)}: ${said}`, {
    hint: code === 403 ? 'the proxy does not allow CONNECT to that host or port' : undefined,
  });
}
