// The path to the server, as s_client and curl spell it: -proxy (HTTP CONNECT) with
// -proxy_user/-proxy_pass, --socks5 [USER:PASS@]HOST:PORT, -unix PATH, -bind ADDR[:PORT],
// and --haproxy v1|v2 [SRC:PORT] for a PROXY protocol header; swaks' --socket,
// --local-interface/--local-port and --proxy-version/--proxy-source[-port] too (swaks'
// own --proxy, the raw PROXY line, is --haproxy here: -proxy is s_client's HTTP proxy).
import { isIP } from 'node:net';
import { usageError } from '../errors.js';
import type { Route } from '../transport/route/types.js';
import type { FlagSpec } from './flags.js';
import { readPassSource } from './passSource.js';
import { parseTarget } from './target.js';

/** An IP address with a port: 192.0.2.7:4242 or [2001:db8::7]:4242. */
export const ADDRESS_PORT = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

export const ROUTE_FLAGS: FlagSpec[] = [
  { name: 'proxy', value: 'host:port', help: 'connect through this HTTP proxy (CONNECT); the certificate is still checked against the server\'s name' },
  { name: 'proxy_user', value: 'user', aliases: ['proxy-user'], help: 'user for the HTTP proxy (Basic)' },
  { name: 'proxy_pass', value: 'source', aliases: ['proxy-pass'], help: 'password for the HTTP proxy: pass:TEXT, env:VAR, file:PATH or fd:N' },
  { name: 'socks5', value: '[user:pass@]host:port', aliases: ['socks'], help: 'connect through this SOCKS5 proxy (it resolves the server\'s name)' },
  { name: 'unix', value: 'path', aliases: ['socket'], namesServer: true, help: 'connect to this Unix domain socket instead of TCP' },
  { name: 'bind', value: 'addr[:port]', aliases: ['local-interface', 'li'], help: 'the local address (and port) to connect from' },
  { name: 'local_port', value: 'port', aliases: ['local-port', 'lport', 'lp'], help: 'the local port to connect from (swaks)' },
  { name: 'haproxy', value: 'v1|v2', optional: ADDRESS_PORT, help: 'send a PROXY protocol header first, naming the local end (or the SRC:PORT given after v1|v2) as the client' },
  { name: 'proxy_version', value: '1|2', aliases: ['proxy-version'], help: 'swaks: the PROXY protocol header\'s version (as --haproxy v1|v2)' },
  { name: 'proxy_source', value: 'addr', aliases: ['proxy-source'], help: 'swaks: the client address the PROXY header names' },
  { name: 'proxy_source_port', value: 'port', aliases: ['proxy-source-port'], help: 'swaks: the client port the PROXY header names' },
];

export interface RouteFlags {
  proxy?: string;
  proxy_user?: string;
  proxy_pass?: string;
  socks5?: string;
  unix?: string;
  bind?: string;
  local_port?: string;
  haproxy?: string;
  proxy_version?: string;
  proxy_source?: string;
  proxy_source_port?: string;
}

function portNumber(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535) throw usageError(`${flag} ${text} is not a port number`);
  return port;
}

/** --haproxy v1|v2 [SRC:PORT], or swaks' --proxy-version/--proxy-source/--proxy-source-port. */
function haproxyOf(flags: RouteFlags): Route['haproxy'] {
  const swaks = flags.proxy_version ?? flags.proxy_source ?? flags.proxy_source_port;
  if (flags.haproxy !== undefined && swaks !== undefined) throw usageError('--haproxy and --proxy-version/--proxy-source say the same thing: give one of them');
  if (flags.haproxy !== undefined) {
    const [version, source] = flags.haproxy.split(' ');
    const v = /^v?([12])$/i.exec(version)?.[1];
    if (!v) throw usageError(`--haproxy ${version}: say v1 or v2`);
    return { version: Number(v) as 1 | 2, source: source === undefined ? undefined : (parseAddress(source, '--haproxy', true) as { address: string; port: number }) };
  }
  if (swaks === undefined) return undefined;
  const v = /^([12])$/.exec(flags.proxy_version ?? '1')?.[1];
  if (!v) throw usageError(`--proxy-version ${flags.proxy_version}: say 1 or 2`);
  if ((flags.proxy_source === undefined) !== (flags.proxy_source_port === undefined)) throw usageError('--proxy-source and --proxy-source-port go together');
  const source = flags.proxy_source === undefined ? undefined : { address: parseAddress(flags.proxy_source, '--proxy-source', false).address, port: portNumber(flags.proxy_source_port as string, '--proxy-source-port') };
  return { version: Number(v) as 1 | 2, source };
}

/** An address literal with an optional port: 192.0.2.1, 192.0.2.1:2000, [::1]:2000, ::1. */
function parseAddress(text: string, flag: string, portRequired: boolean): { address: string; port?: number } {
  const bare = isIP(text) ? text : undefined;
  const target = bare ? { host: bare, port: undefined } : parseTarget(text);
  if (!isIP(target.host)) throw usageError(`${flag} ${text}: "${target.host}" is not an IP address`, 'give an address, as 192.0.2.1 or [2001:db8::1]');
  if (portRequired && target.port === undefined) throw usageError(`${flag} ${text} needs a port`, 'write ADDR:PORT, as 192.0.2.7:4242 or [2001:db8::7]:4242');
  return { address: target.host, port: target.port };
}

function proxyAddress(text: string, flag: string): { host: string; port: number } {
  const target = parseTarget(text);
  if (target.port === undefined) throw usageError(`${flag} ${text} needs a port`, `write HOST:PORT, e.g. ${flag} 127.0.0.1:${flag === '-proxy' ? 3128 : 1080}`);
  return { host: target.host, port: target.port };
}

/** USER:PASS@HOST:PORT, user and password %-decoded (so either may hold "@" or ":"). */
function socksProxy(text: string, env: NodeJS.ProcessEnv): Route['hop'] {
  const at = text.lastIndexOf('@');
  const proxy = proxyAddress(at < 0 ? text : text.slice(at + 1), '--socks5');
  if (at < 0) return { kind: 'socks5', proxy };
  const login = text.slice(0, at);
  const colon = login.indexOf(':');
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw usageError(`--socks5: "${part.slice(0, 20)}" has a bad %-escape`);
    }
  };
  if (colon < 0) throw usageError('--socks5 USER@HOST:PORT has no password', 'write USER:PASS@HOST:PORT (or USER:env:VAR@…)');
  const user = decode(login.slice(0, colon));
  const secret = login.slice(colon + 1);
  // USER:env:VAR@… keeps the password off the command line.
  const password = /^(env|file|fd):/.test(secret) ? readPassSource(secret, '--socks5', env) : decode(secret);
  return { kind: 'socks5', proxy, credentials: { user, password } };
}

export function resolveRoute(flags: RouteFlags, env: NodeJS.ProcessEnv): Route | undefined {
  const hops = (['proxy', 'socks5', 'unix'] as const).filter((name) => flags[name] !== undefined);
  if (hops.length > 1) throw usageError(`${hops.map((name) => `-${name}`).join(' and ')} cannot be used together`);
  if ((flags.proxy_user !== undefined || flags.proxy_pass !== undefined) && flags.proxy === undefined) throw usageError('-proxy_user and -proxy_pass go with -proxy HOST:PORT');
  if ((flags.proxy_user === undefined) !== (flags.proxy_pass === undefined)) throw usageError('-proxy_user and -proxy_pass go together');
  if (flags.unix !== undefined && (flags.bind !== undefined || flags.local_port !== undefined)) throw usageError('-bind does not apply to -unix');
  let hop: Route['hop'] = { kind: 'direct' };
  if (flags.proxy !== undefined) {
    const credentials = flags.proxy_user !== undefined ? { user: flags.proxy_user, password: readPassSource(flags.proxy_pass as string, '-proxy_pass', env) } : undefined;
    if (credentials?.user.includes(':')) throw usageError('-proxy_user cannot hold ":" (HTTP Basic separates user and password with it)');
    hop = { kind: 'http', proxy: proxyAddress(flags.proxy, '-proxy'), credentials };
  } else if (flags.socks5 !== undefined) hop = socksProxy(flags.socks5, env);
  else if (flags.unix !== undefined) hop = { kind: 'unix', path: flags.unix };
  const route: Route = { hop };
  if (flags.bind !== undefined || flags.local_port !== undefined) {
    const bind = flags.bind === undefined ? { address: '' } : parseAddress(flags.bind, '-bind', false);
    if (flags.local_port !== undefined) {
      if (bind.port !== undefined) throw usageError('the port is given twice: in -bind ADDR:PORT and --local-port');
      bind.port = portNumber(flags.local_port, '--local-port');
    }
    route.bind = bind.address ? bind : { address: '0.0.0.0', port: bind.port };
  }
  route.haproxy = haproxyOf(flags);
  return hop.kind === 'direct' && !route.bind && !route.haproxy ? undefined : route;
}
