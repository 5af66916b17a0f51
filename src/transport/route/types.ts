// How the bytes reach the server: straight over TCP, through an HTTP CONNECT or SOCKS5
// proxy, or over a Unix domain socket; from which source address; and whether a PROXY
// protocol header goes first. The server's name (for SNI, the certificate and DANE) is
// the target's whatever the route.

export interface HostPort {
  host: string;
  port: number;
}

export interface ProxyCredentials {
  user: string;
  password: string;
}

export type Hop =
  | { kind: 'direct' }
  /** -proxy HOST:PORT (HTTP CONNECT, RFC 9110 §9.3.6), with -proxy_user/-proxy_pass. */
  | { kind: 'http'; proxy: HostPort; credentials?: ProxyCredentials }
  /** --socks5 [USER:PASS@]HOST:PORT (RFC 1928, RFC 1929); names resolved by the proxy. */
  | { kind: 'socks5'; proxy: HostPort; credentials?: ProxyCredentials }
  /** -unix PATH. */
  | { kind: 'unix'; path: string };

export interface Route {
  hop: Hop;
  /** -bind ADDR[:PORT]: the local end of the TCP connection (to the server, or to the proxy). */
  bind?: { address: string; port?: number };
  /** --haproxy v1|v2: the PROXY protocol header sent before anything else, naming `source` as the client. */
  haproxy?: { version: 1 | 2; source?: { address: string; port: number } };
}

export const DIRECT: Route = { hop: { kind: 'direct' } };

/** Whether the route is a plain TCP connection to the server (the fast path of `load`). */
export const isDirect = (route: Route | undefined): boolean => !route || (route.hop.kind === 'direct' && !route.haproxy);

/** "via HTTP proxy 127.0.0.1:3128", for the connection note; undefined when direct. */
export function describeHop(hop: Hop): string | undefined {
  const at = (p: HostPort) => (p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`);
  if (hop.kind === 'http') return `via HTTP proxy ${at(hop.proxy)}${hop.credentials ? ` as ${hop.credentials.user}` : ''}`;
  if (hop.kind === 'socks5') return `via SOCKS5 proxy ${at(hop.proxy)}${hop.credentials ? ` as ${hop.credentials.user}` : ''}`;
  if (hop.kind === 'unix') return `over the Unix socket ${hop.path}`;
  return undefined;
}
