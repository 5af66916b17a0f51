// Opens the route to the server: the first hop (TCP to the server or the proxy, or a Unix
// socket, from -bind's address), the proxy's tunnel, then the PROXY protocol header, all
// within one time limit. The socket returned carries the server's bytes from its first.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { MailprobeError, timeoutError } from '../../errors.js';
import { connectTimeout, describeNetError, dialTcp } from '../connect.js';
import { authority, httpTunnel } from './httpConnect.js';
import { proxyHeader, type Endpoint } from './proxyHeader.js';
import { socksTunnel } from './socks5.js';
import { describeHop, DIRECT, type HostPort, type Route } from './types.js';

export interface RouteTarget extends HostPort {
  family?: 4 | 6;
}

export interface Opened {
  socket: Socket;
  /** What the connection note says it reached: the server's address, or the tunnel and its proxy. */
  reached: string;
}

/** The first hop's socket, still connecting. */
function dial(target: RouteTarget, route: Route): Socket {
  const { hop, bind } = route;
  if (hop.kind === 'unix') return netConnect({ path: hop.path });
  const to = hop.kind === 'direct' ? target : hop.proxy;
  return dialTcp({ host: to.host, port: to.port, family: target.family, bind });
}

/** Where the first hop goes, for errors: the server, the proxy, or the socket's path. */
function firstHop(target: RouteTarget, route: Route): string {
  const { hop } = route;
  if (hop.kind === 'unix') return hop.path;
  if (hop.kind === 'direct') return authority(target);
  return `the ${hop.kind === 'http' ? 'HTTP' : 'SOCKS5'} proxy ${authority(hop.proxy)}`;
}

/** The server end the PROXY header names: the peer when direct, the target when it is an address. */
function destination(socket: Socket, target: RouteTarget, route: Route): Endpoint | undefined {
  if (route.hop.kind === 'direct') return socket.remoteAddress ? { address: socket.remoteAddress, port: socket.remotePort ?? target.port } : undefined;
  if (route.hop.kind === 'unix') return undefined;
  return isIP(target.host) ? { address: target.host, port: target.port } : undefined;
}

function connected(socket: Socket, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.removeListener('error', onError);
      resolve();
    });
    const onError = (error: NodeJS.ErrnoException) => reject(describeNetError(error, where));
    socket.once('error', onError);
  });
}

async function build(socket: Socket, target: RouteTarget, route: Route): Promise<string> {
  const { hop } = route;
  await connected(socket, firstHop(target, route));
  let reached = hop.kind === 'unix' ? hop.path : `${authority({ host: socket.remoteAddress ?? target.host, port: socket.remotePort ?? target.port })}`;
  if (hop.kind === 'http' || hop.kind === 'socks5') {
    const proxy = authority(hop.proxy);
    // Errors on the way are the socket's: named after the proxy, not the server.
    const failed = (error: unknown) => {
      throw error instanceof MailprobeError ? error : describeNetError(error as NodeJS.ErrnoException, `the proxy ${proxy}`);
    };
    const tunnel = hop.kind === 'http' ? httpTunnel(socket, target, proxy, hop.credentials) : socksTunnel(socket, target, proxy, hop.credentials);
    await tunnel.catch(failed);
    reached = `${authority(target)} ${describeHop(hop)}`;
  }
  if (route.haproxy) {
    const source = route.haproxy.source ?? (socket.localAddress ? { address: socket.localAddress, port: socket.localPort ?? 0 } : undefined);
    const dest = destination(socket, target, route);
    socket.write(proxyHeader(route.haproxy.version, source, dest));
    reached += `; PROXY v${route.haproxy.version} header sent${source && dest ? `, naming ${authority({ host: source.address, port: source.port })} as the client` : ' (UNKNOWN: no addresses to name)'}`;
  }
  return reached;
}

/** The route opened within `timeoutMs`, or a MailprobeError (connect, proxy, timeout). */
export async function openRoute(target: RouteTarget, route: Route = DIRECT, timeoutMs: number): Promise<Opened> {
  const socket = dial(target, route);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const where = firstHop(target, route);
      reject(route.hop.kind === 'http' || route.hop.kind === 'socks5' ? timeoutError('CONNECT_TIMEOUT', `no tunnel through ${where} after ${timeoutMs / 1000} s`, { hint: 'the proxy may be overloaded, or the server unreachable from it; raise -timeout' }) : connectTimeout(where, timeoutMs));
    }, timeoutMs);
  });
  try {
    const reached = await Promise.race([build(socket, target, route), late]);
    return { socket, reached };
  } catch (error) {
    socket.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
