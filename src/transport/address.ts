import { isIP } from 'node:net';

/** How a host:port is written back to the user: [::1]:25 for IPv6. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
