// Listening sockets. On Linux an accepted socket starts with the listening socket's
// TCP_NODELAY: set there once, it saves the setsockopt Node otherwise makes for every
// connection it accepts (at one message per connection, ~5% of a sink's throughput here).
import type { Server } from 'node:net';

/** What noDelayOnListener uses of a net.Server beyond its documented API. */
interface ListenerInternals {
  /** Node sets TCP_NODELAY on each accepted socket (the server's noDelay option). */
  noDelay?: boolean;
  _handle?: { setNoDelay?(enable: boolean): number } | null;
}

/**
 * For a listening server made with `noDelay: true`: TCP_NODELAY goes on the listening socket
 * instead of on each accepted one. Elsewhere than Linux, or when the listener's handle cannot
 * take it (a cluster worker's stand-in), every socket is still set as it comes. Returns
 * whether the listener carries it.
 */
export function noDelayOnListener(server: Server): boolean {
  if (process.platform !== 'linux') return false;
  const internals = server as unknown as ListenerInternals;
  const handle = internals._handle;
  if (internals.noDelay !== true || typeof handle?.setNoDelay !== 'function') return false;
  if (handle.setNoDelay(true) !== 0) return false;
  internals.noDelay = false;
  return true;
}
