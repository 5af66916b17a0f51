// The tunnel through a SOCKS5 proxy (RFC 1928): method negotiation, username/password
// (RFC 1929) when given, then CONNECT with the server's name as a domain name, so the proxy
// resolves it (IP literals go as addresses). Bytes after the proxy's reply are the server's.
import { isIP, type Socket } from 'node:net';
import { MailprobeError } from '../../errors.js';
import { authority } from './httpConnect.js';
import { HeadError, readHead } from './readHead.js';
import type { HostPort, ProxyCredentials } from './types.js';

const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NONE_ACCEPTABLE = 0xff;

/** RFC 1928 §6's reply codes. */
const REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
};

/** The CONNECT request: the server's address as IPv4, IPv6 or a name (at most 255 bytes). */
export function socksConnectRequest(target: HostPort): Buffer {
  const port = Buffer.from([target.port >> 8, target.port & 0xff]);
  const family = isIP(target.host);
  if (family === 4) return Buffer.concat([Buffer.from([5, 1, 0, 1, ...target.host.split('.').map(Number)]), port]);
  if (family === 6) return Buffer.concat([Buffer.from([5, 1, 0, 4]), ipv6Bytes(target.host), port]);
  const name = Buffer.from(target.host, 'utf8');
  if (name.length > 255) throw new MailprobeError('USAGE', `the host name ${target.host.slice(0, 40)}… is longer than SOCKS5's 255 bytes`);
  return Buffer.concat([Buffer.from([5, 1, 0, 3, name.length]), name, port]);
}

/** The 16 bytes of an IPv6 literal (with :: and an embedded IPv4 tail). */
export function ipv6Bytes(address: string): Buffer {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** How long the CONNECT reply is, by its address type (RFC 1928 §6). */
function replyLength(bytes: Buffer): number | undefined {
  if (bytes.length < 5) return undefined;
  const atyp = bytes[3];
  const length = atyp === 1 ? 10 : atyp === 4 ? 22 : atyp === 3 ? 7 + bytes[4] : 4;
  return bytes.length >= length ? length : undefined;
}

const fixed = (n: number) => (bytes: Buffer) => (bytes.length >= n ? n : undefined);

export async function socksTunnel(socket: Socket, target: HostPort, proxy: string, credentials?: ProxyCredentials): Promise<void> {
  const broken = (what: string, bytes?: Buffer) => new MailprobeError('PROXY', `SOCKS5 proxy ${proxy}: ${what}`, { bytes, hint: 'is it a SOCKS5 proxy? For an HTTP proxy use -proxy' });
  const read = async (length: (bytes: Buffer) => number | undefined, step: string) => {
    try {
      return await readHead(socket, length, 512);
    } catch (error) {
      if (error instanceof HeadError) throw broken(`${error.message} ${step}`, error.received);
      throw error;
    }
  };
  const request = socksConnectRequest(target);
  socket.write(Buffer.from(credentials ? [5, 2, NO_AUTH, USER_PASS] : [5, 1, NO_AUTH]));
  const method = await read(fixed(2), 'at method negotiation');
  if (method[0] !== 5) throw broken('the answer to the greeting is not SOCKS version 5', method);
  if (method[1] === NONE_ACCEPTABLE) {
    throw new MailprobeError('PROXY', `SOCKS5 proxy ${proxy} accepts none of the offered methods (${credentials ? 'none, username/password' : 'none'})`, {
      hint: credentials ? undefined : 'it may want a username and password: --socks5 USER:PASS@HOST:PORT',
    });
  }
  if (method[1] === USER_PASS) {
    if (!credentials) throw broken('it chose username/password, which was not offered', method);
    const user = Buffer.from(credentials.user, 'utf8');
    const password = Buffer.from(credentials.password, 'utf8');
    if (user.length > 255 || password.length > 255) throw new MailprobeError('USAGE', 'SOCKS5 user names and passwords are at most 255 bytes (RFC 1929)');
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]));
    const status = await read(fixed(2), 'at login');
    if (status[1] !== 0) throw new MailprobeError('PROXY', `SOCKS5 proxy ${proxy} refused the login of ${credentials.user}`, { hint: 'check the user and password in --socks5 USER:PASS@HOST:PORT' });
  } else if (method[1] !== NO_AUTH) throw broken(`it chose method ${method[1]}, which was not offered`, method);
  socket.write(request);
  const reply = await read(replyLength, 'at CONNECT');
  if (reply[0] !== 5) throw broken('the answer to CONNECT is not SOCKS version 5', reply);
  if (reply[1] !== 0) {
    throw new MailprobeError('PROXY', `SOCKS5 proxy ${proxy} could not reach ${authority(target)}: ${REPLIES[reply[1]] ?? `reply ${reply[1]}`}`);
  }
}
