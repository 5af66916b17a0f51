// From parsed flags to validated session options: target, mode, protocol, TLS settings.
// When no flag chooses the mode the port does, and the note says which it chose.
import { usageError } from '../errors.js';
import { PORT_DEFAULTS, protocolByName, PROTOCOLS, type ModeName } from '../protocols/registry.js';
import { raw } from '../protocols/raw/index.js';
import type { ProtocolSpec } from '../protocols/types.js';
import type { SessionOptions } from '../client/options.js';
import { parseTarget } from './target.js';
import { parseTlsaRrdata, type TlsaRecord } from '../transport/dane.js';
import { QUIT_STAGES, type QuitStage } from '../session/script.js';
import { resolveRoute, type RouteFlags } from './routeFlags.js';
import { resolveTlsFlags, type TlsFlags } from './tlsFlags.js';

export interface SessionFlags extends RouteFlags, TlsFlags {
  connect?: string;
  starttls?: string;
  tls?: boolean;
  plain?: boolean;
  proto?: string;
  crlf?: boolean;
  lf?: boolean;
  quiet?: boolean;
  brief?: boolean;
  servername?: string;
  noservername?: boolean;
  name?: string;
  xmpphost?: string;
  dane_tlsa_rrdata?: string[];
  dane_tlsa_domain?: string;
  mx?: string;
  srv?: string;
  port?: string;
  resolver?: string[];
  CAfile?: string;
  CApath?: string;
  verify_return_error?: boolean;
  showcerts?: boolean;
  cipher?: string;
  ciphersuites?: string;
  alpn?: string;
  ign_eof?: boolean;
  no_ehlo?: boolean;
  timeout?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  raw?: boolean;
  allow_plaintext_auth?: boolean;
  insecure?: boolean;
  pass_file?: string;
  log?: string;
  script?: string;
  quit_after?: string;
}

export interface Resolved {
  options: SessionOptions;
  /** Said to the user when the port, not a flag, chose the mode. */
  modeNote?: string;
}

const SPOKEN = [...PROTOCOLS.keys()].filter((name) => name !== 'raw').join(', ');

function protocolFlag(name: string, flag: string): ProtocolSpec {
  const spec = protocolByName(name);
  if (spec && spec !== raw) return spec;
  throw usageError(`unknown protocol "${name}" for ${flag}`, `choose one of ${SPOKEN}`);
}

function exclusive(flags: SessionFlags, names: (keyof SessionFlags)[]): void {
  const given = names.filter((name) => flags[name] !== undefined && flags[name] !== false);
  if (given.length > 1) throw usageError(`${given.map((n) => `-${n}`).join(' and ')} cannot be used together`);
}

export function parseTimeout(text: string | undefined): number {
  if (text === undefined) return 30_000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw usageError(`-timeout ${text} is not a time mailprobe can wait`, 'give a number of seconds above 0 and at most 86400 (a day), e.g. -timeout 10 or -timeout 0.5');
  }
  return Math.round(seconds * 1000);
}

function parseQuitAfter(stage: string | undefined): QuitStage | undefined {
  if (stage === undefined) return undefined;
  const found = QUIT_STAGES.find((s) => s === stage.toLowerCase());
  if (!found) throw usageError(`-quit-after ${stage} is not a stage`, `choose one of ${QUIT_STAGES.join(', ')}`);
  return found;
}

export function resolveSession(flags: SessionFlags, positional: string[], env: NodeJS.ProcessEnv = process.env): Resolved {
  if (positional.length > 1) throw usageError(`unexpected argument "${positional[1]}"`, 'give one server, as -connect host:port');
  if (flags.connect && positional[0] && flags.connect !== positional[0]) {
    throw usageError(`two servers given: -connect ${flags.connect} and ${positional[0]}`);
  }
  const route = resolveRoute(flags, env);
  const unix = route?.hop.kind === 'unix';
  // Over a Unix socket the server has no host name: "localhost" is what SNI and the certificate are checked against (or -servername).
  const targetText = flags.connect ?? positional[0] ?? (unix ? 'localhost' : undefined);
  if (!targetText) throw usageError('no server given', 'use mailprobe -connect host:port (e.g. -connect mail.example.com:587)');
  exclusive(flags, ['starttls', 'tls', 'plain']);
  exclusive(flags, ['ipv4', 'ipv6']);
  exclusive(flags, ['servername', 'noservername']);
  exclusive(flags, ['crlf', 'lf']);

  const target = parseTarget(targetText);
  const starttls = flags.starttls ? protocolFlag(flags.starttls, '-starttls') : undefined;
  const proto = flags.proto ? protocolFlag(flags.proto, '-proto') : undefined;
  if (starttls && proto && starttls !== proto) throw usageError(`-starttls ${starttls.name} and -proto ${proto.name} disagree`);

  let port = target.port;
  let mode: ModeName;
  let protocol: ProtocolSpec;
  let modeNote: string | undefined;
  if (starttls) {
    mode = 'starttls';
    protocol = starttls;
    port ??= starttls.defaultPort;
  } else {
    const chosen = flags.tls ? 'tls' : flags.plain || (unix && !flags.tls) ? 'plain' : undefined;
    if (unix && !flags.tls && !flags.plain) modeNote = 'Unix socket: plaintext (-tls or -starttls PROTO choose otherwise)';
    if (port === undefined && unix) port = proto?.defaultPort ?? 0;
    if (port === undefined) {
      if (!proto) throw usageError(`no port given for ${target.host}`, 'write host:port, e.g. mail.example.com:587, or give -starttls PROTO');
      port = chosen === 'tls' && proto.implicitTlsPort ? proto.implicitTlsPort : proto.defaultPort;
    }
    const byPort = PORT_DEFAULTS.get(port);
    protocol = proto ?? (byPort ? (protocolByName(byPort.protocol) as ProtocolSpec) : raw);
    if (chosen) mode = chosen;
    else if (unix) mode = 'plain';
    else if (byPort && (!proto || proto === protocolByName(byPort.protocol))) {
      mode = byPort.mode;
      modeNote = `port ${port}: ${mode === 'tls' ? 'implicit TLS' : `STARTTLS ${protocol.name}`} (chosen by the port; -tls, -plain or -starttls choose otherwise)`;
    } else {
      mode = 'tls';
      modeNote = `port ${port}: implicit TLS, as openssl s_client does for an unknown port (-starttls PROTO or -plain choose otherwise)`;
    }
  }

  if (flags.reconnect && mode === 'plain') throw usageError('-reconnect resumes a TLS session, and this connection has no TLS', 'give -starttls PROTO or -tls');
  const options: SessionOptions = {
    host: target.host,
    port,
    family: flags.ipv4 ? 4 : flags.ipv6 ? 6 : undefined,
    route,
    mode,
    protocol,
    tls: {
      host: target.host,
      servername: flags.servername,
      noServername: flags.noservername,
      caFile: flags.CAfile,
      caPath: flags.CApath,
      ...resolveTlsFlags(flags, env),
      cipher: flags.cipher,
      ciphersuites: flags.ciphersuites,
      alpn: flags.alpn ? flags.alpn.split(',').map((p) => p.trim()).filter(Boolean) : undefined,
      dane: daneSettings(flags),
    },
    clientName: flags.name,
    xmppHost: flags.xmpphost,
    quiet: !!flags.quiet,
    brief: !!flags.brief,
    showCerts: !!flags.showcerts,
    verifyReturnError: !!flags.verify_return_error,
    lineEnding: flags.lf ? '\n' : '\r\n',
    ignEof: !!flags.ign_eof,
    noEhlo: !!flags.no_ehlo,
    timeoutMs: parseTimeout(flags.timeout),
    raw: !!flags.raw,
    allowPlaintextAuth: !!flags.allow_plaintext_auth,
    insecure: !!flags.insecure,
    passFile: flags.pass_file,
    log: flags.log,
    script: flags.script,
    quitAfter: parseQuitAfter(flags.quit_after),
    reconnect: !!flags.reconnect,
  };
  return { options, modeNote };
}

/** -dane_tlsa_rrdata (repeatable) and -dane_tlsa_domain, as s_client spells them. */
function daneSettings(flags: SessionFlags): { records: TlsaRecord[]; domain?: string } | undefined {
  const given = flags.dane_tlsa_rrdata ?? [];
  if (given.length === 0) {
    if (flags.dane_tlsa_domain) throw usageError('-dane_tlsa_domain needs the records too', 'give each TLSA record with -dane_tlsa_rrdata "3 1 1 HEX"');
    return undefined;
  }
  const records = given.map((text) => {
    const record = parseTlsaRrdata(text);
    if (typeof record === 'string') throw usageError(`-dane_tlsa_rrdata "${text.slice(0, 40)}": ${record}`);
    return record;
  });
  return { records, domain: flags.dane_tlsa_domain };
}
