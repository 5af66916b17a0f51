// `mailprobe send`: one test message from one command line, with swaks' option names and
// short forms (where they do not clash with mailprobe's own: -h stays help, and swaks' -h
// for --helo is --ehlo here). Flags become a SendRequest; the run is src/send/run.ts.
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { findSecret } from '../client/secrets.js';
import { EXIT_CODES, MailprobeError, usageError } from '../errors.js';
import { QUIT_STAGES, type QuitStage } from '../protocols/types.js';
import { toMechanismName, type MechanismName } from '../sasl/index.js';
import { buildMessage, type Attachment } from '../send/message.js';
import { sendObserver } from '../send/observer.js';
import { runSend, type SendDeps, type SendRequest } from '../send/run.js';
import { SEND_EXIT_LINES } from '../send/stages.js';
import type { Printer } from '../terminal/printer.js';
import { formatHostPort } from '../transport/address.js';
import { ROUTE_FLAGS } from './routeFlags.js';
import { readFlagFile } from './flagFile.js';
import { FORWARD_ATTRIBUTES, parseAttributes } from '../protocols/smtp/xclient.js';
import { CONNECTION_TLS_FLAGS } from './tlsFlags.js';
import { SESSION_FLAGS, type FlagSpec } from './flags.js';
import type { MainIo } from './io.js';
import { commandContext, normaliseArgv } from './normalise.js';
import { parseArgs, type ParsedFlags } from './program.js';
import { resolveSession, type SessionFlags } from './resolve.js';
import { parseTarget } from './target.js';

/** The connection flags every mailprobe command takes, as the session spells them. */
/** swaks' --xclient-addr and the like: one attribute each. */
const XCLIENT_FLAGS: FlagSpec[] = FORWARD_ATTRIBUTES.XCLIENT.map((attribute) => {
  const spelled = attribute.toLowerCase().replace(/_/g, '-');
  return { name: `xclient_${attribute.toLowerCase()}`, value: 'value', aliases: [`xclient-${spelled}`], help: `swaks: the XCLIENT ${attribute} attribute` };
});

/** --xclient "NAME=VALUE ..." and the one-attribute flags, in one list. */
function xclientAttributes(flags: ParsedFlags): [string, string][] | undefined {
  const free = typeof flags.xclient === 'string' ? parseAttributes('XCLIENT', flags.xclient) : [];
  const single = FORWARD_ATTRIBUTES.XCLIENT.flatMap((attribute): [string, string][] => {
    const value = flags[`xclient_${attribute.toLowerCase()}`];
    return typeof value === 'string' ? [[attribute, value]] : [];
  });
  const all = [...single, ...free];
  return all.length ? all : undefined;
}

const CONNECTION = ['servername', 'noservername', 'CAfile', 'CApath', 'timeout', 'ipv4', 'ipv6', ...ROUTE_FLAGS.map((flag) => flag.name), ...CONNECTION_TLS_FLAGS, 'allow_plaintext_auth', 'insecure', 'pass_file', 'resolver'];

export const SEND_FLAGS: FlagSpec[] = [
  { name: 'to', value: 'address[,address...]', aliases: ['t'], repeatable: true, help: 'recipient (required); repeat, or separate with commas' },
  { name: 'from', value: 'address', aliases: ['f'], help: 'envelope sender and From: (default mailprobe@this machine\'s name; "" for <>)' },
  { name: 'server', value: 'host[:port]', aliases: ['s'], help: 'the server (default: the MX of the first recipient\'s domain)' },
  { name: 'port', value: 'port', aliases: ['p'], help: 'port (default 25; 465 with --tlsc; 24 with --protocol LMTP)' },
  { name: 'tls', help: 'STARTTLS, required: stop (exit 7) when the server does not offer it' },
  { name: 'tlsc', aliases: ['tls-on-connect', 'tls_on_connect'], help: 'implicit TLS: the handshake starts at once (port 465)' },
  { name: 'auth', value: '[mechanism]', aliases: ['a'], help: 'AUTH, with the strongest mechanism offered or the one named' },
  { name: 'auth_user', value: 'user', aliases: ['auth-user', 'au'], help: 'AUTH user name (implies --auth)' },
  { name: 'auth_password', value: 'password', aliases: ['auth-password', 'ap'], help: 'AUTH password (else MAILPROBE_PASSWORD, --pass-file, or asked without echo)' },
  { name: 'header', value: '"Name: value"', aliases: ['add-header', 'ah'], repeatable: true, help: 'a header; repeatable; replaces a default header of the same name' },
  { name: 'body', value: 'text|@file', help: 'the body text, or @file for a file\'s contents' },
  { name: 'attach', value: 'file', repeatable: true, help: 'attach a file (base64, type from its extension); repeatable' },
  { name: 'data', value: 'file', aliases: ['d'], help: 'send this whole message file as it is (no headers added)' },
  { name: 'ehlo', value: 'name', aliases: ['helo', 'lhlo'], help: 'EHLO/HELO/LHLO name (default: this machine\'s FQDN, else [local address])' },
  { name: 'quit_after', value: 'stage', aliases: ['quit-after', 'quit', 'q'], help: `QUIT after ${QUIT_STAGES.join(', ')}` },
  { name: 'protocol', value: 'SMTP|ESMTP|LMTP', help: 'HELO, EHLO (the default) or LHLO with one reply per recipient' },
  { name: 'pipeline', help: 'send MAIL, RCPT and DATA together when the server offers PIPELINING' },
  { name: 'suppress_data', aliases: ['suppress-data', 'n'], help: 'do not show the message content, only its size' },
  { name: 'xclient', value: 'NAME=VALUE[ NAME=VALUE]', help: 'XCLIENT with these attributes after EHLO (where offered), then EHLO again' },
  ...XCLIENT_FLAGS,
  ...SESSION_FLAGS.filter((flag) => CONNECTION.includes(flag.name)),
  { name: 'help', aliases: ['h'], help: 'show this help' },
];

/** swaks' stop-point names for the stages mailprobe calls otherwise. */
const STAGE_ALIASES: Record<string, QuitStage> = { helo: 'ehlo', lhlo: 'ehlo', 'first-helo': 'ehlo', 'first-ehlo': 'ehlo', from: 'mail', to: 'rcpt', greeting: 'banner' };

export function sendHelp(): string {
  const lines = SEND_FLAGS.map((flag) => {
    const long = `--${flag.name.replace(/_/g, '-')}`;
    const aliases = flag.aliases ?? [];
    const names = [
      ...aliases.filter((alias) => alias.length <= 2).map((alias) => `-${alias}`),
      long,
      ...aliases.filter((alias) => alias.length > 2 && `--${alias.replace(/_/g, '-')}` !== long && !alias.includes('_')).map((alias) => `--${alias}`),
    ];
    const left = `  ${names.join(', ')}${flag.value ? ` ${flag.value}` : ''}`;
    return `${left.padEnd(40)} ${flag.help}`;
  });
  return [
    'Usage: mailprobe send --to ADDRESS [--server HOST[:PORT]] [--tls | --tlsc] [--auth-user USER] [flags]',
    '',
    'Sends one test message and shows the dialogue: -> sent, <- received, ~> <~ the same inside',
    'TLS, *** mailprobe\'s own notes. Credentials are shown as [redacted].',
    '',
    'Flags (single or double dash; swaks spellings accepted):',
    ...lines,
    '',
    'Exit codes, by the stage that failed:',
    ...SEND_EXIT_LINES.map((line) => `  ${line}`),
  ].join('\n');
}

type Flags = ParsedFlags;

/** `--auth` takes an optional mechanism: with none (end, or a flag next), it is given "". */
function optionalAuthValue(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = argv[i + 1];
    if (/^--?(a|auth)$/.test(arg) && (next === undefined || (next.startsWith('-') && next !== '-'))) out.push(`${arg}=`);
    else out.push(arg);
  }
  return out;
}

export interface ParsedSend {
  flags: Flags;
  repeated: Record<'to' | 'header' | 'attach', string[]>;
}

/** Flags as given → canonical names, repeatable ones collected in order. */
export function parseSendArgs(argv: string[]): ParsedSend {
  const { flags, positional } = parseArgs(normaliseArgv(optionalAuthValue(argv), SEND_FLAGS, commandContext('send')), SEND_FLAGS);
  if (positional.length > 0) throw usageError(`unexpected argument "${positional[0]}"`, 'give the server with --server HOST[:PORT] and recipients with --to');
  const list = (value: ParsedFlags[string]) => (Array.isArray(value) ? value : []);
  return { flags, repeated: { to: list(flags.to), header: list(flags.header), attach: list(flags.attach) } };
}

/** An address for MAIL FROM or RCPT TO: angle brackets dropped, nothing that ends a command. */
export function address(text: string, flag: string): string {
  const bare = text.trim().replace(/^<(.*)>$/, '$1');
  if (/[\s<>]/.test(bare)) throw usageError(`${flag} "${text}" is not an address (spaces, line breaks and <> are not allowed)`);
  return bare;
}

export function recipients(values: string[]): string[] {
  const list = values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
  if (list.length === 0) throw usageError('no recipient given', 'usage: mailprobe send --to user@example.com (see --help)');
  return list.map((value) => address(value, '--to'));
}

export function parseQuitAfter(text: string | undefined): QuitStage | undefined {
  if (text === undefined) return undefined;
  const word = text.toLowerCase();
  const stage = QUIT_STAGES.find((s) => s === word) ?? STAGE_ALIASES[word];
  if (!stage) throw usageError(`--quit-after ${text} is not a stage`, `choose one of ${QUIT_STAGES.join(', ')}`);
  return stage;
}

const GREETINGS = { SMTP: 'HELO', ESMTP: 'EHLO', LMTP: 'LHLO' } as const;

export type SendPlan = Omit<SendRequest, 'auth'> & { auth?: { user: string; mechanism?: MechanismName } };

/** What the run needs, from the flags; the password is asked for separately (it may prompt). */
export function sendRequest(parsed: ParsedSend): SendPlan {
  const { flags, repeated } = parsed;
  const str = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  if (flags.tls && flags.tlsc) throw usageError('--tls (STARTTLS) and --tlsc (implicit TLS) cannot be used together');
  const protocolName = (str('protocol') ?? 'ESMTP').toUpperCase();
  if (!(protocolName in GREETINGS)) throw usageError(`--protocol ${str('protocol')} is not one mailprobe send speaks`, 'choose SMTP, ESMTP or LMTP');
  const greeting = GREETINGS[protocolName as keyof typeof GREETINGS];
  const to = recipients(repeated.to);
  const from = str('from') === undefined ? `mailprobe@${hostname()}` : address(str('from') as string, '--from');
  const mechanismWord = str('auth');
  const user = str('auth_user');
  const wantsAuth = mechanismWord !== undefined || user !== undefined;
  if (wantsAuth && !user) throw usageError('--auth needs a user name', 'give --auth-user USER (-au USER)');
  const mechanism = mechanismWord ? toMechanismName(mechanismWord) : undefined;
  if (mechanismWord && !mechanism) throw usageError(`--auth ${mechanismWord} is not a mechanism mailprobe knows`, 'choose PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, XOAUTH2 or OAUTHBEARER, or give none');
  if (greeting === 'HELO' && (flags.tls || wantsAuth)) throw usageError('--protocol SMTP says HELO, which offers no STARTTLS and no AUTH', 'use --protocol ESMTP (the default)');
  const quitAfter = parseQuitAfter(str('quit_after'));
  const xclient = xclientAttributes(flags);
  if (quitAfter === 'tls' && !flags.tls && !flags.tlsc) throw usageError('--quit-after tls, but no TLS was asked for', 'give --tls or --tlsc');
  const data = str('data');
  if (data !== undefined && (repeated.header.length > 0 || repeated.attach.length > 0 || str('body') !== undefined)) {
    throw usageError('--data sends a whole message as it is: it cannot be combined with --header, --body or --attach');
  }
  let message: Buffer;
  if (data !== undefined) message = readFlagFile(data, '--data');
  else {
    const bodyFlag = str('body');
    const body = bodyFlag?.startsWith('@') ? readFlagFile(bodyFlag.slice(1), '--body').toString('utf8') : bodyFlag;
    // swaks writes --attach @FILE; the @ is optional here.
    const attachments: Attachment[] = repeated.attach.map((given) => given.replace(/^@/, '')).map((path) => ({ name: basename(path), bytes: readFlagFile(path, '--attach') }));
    message = buildMessage({ from: from || 'mailprobe@localhost', to, headers: repeated.header, body, attachments });
  }
  const server = str('server') === undefined ? undefined : parseTarget(str('server') as string);
  if (!server && !to[0].includes('@')) throw usageError(`--to ${to[0]} has no domain to look up the MX of`, 'give --server HOST[:PORT], or a full address');
  const portText = str('port');
  const port = portText === undefined ? server?.port : parseTarget(`localhost:${portText}`).port;
  const mode = flags.tls ? 'starttls' : flags.tlsc ? 'tls' : 'plain';
  // The route and TLS flags mean what they mean for every command: passed on as given.
  const shared = Object.fromEntries([...ROUTE_FLAGS.map((flag) => flag.name), ...CONNECTION_TLS_FLAGS].filter((name) => flags[name] !== undefined).map((name) => [name, flags[name]]));
  const sessionFlags: SessionFlags = {
    ...shared,
    servername: str('servername'),
    noservername: !!flags.noservername,
    CAfile: str('CAfile'),
    CApath: str('CApath'),
    timeout: str('timeout'),
    ipv4: !!flags.ipv4,
    ipv6: !!flags.ipv6,
    allow_plaintext_auth: !!flags.allow_plaintext_auth,
    insecure: !!flags.insecure,
    pass_file: str('pass_file'),
    name: str('ehlo'),
    proto: greeting === 'LHLO' ? 'lmtp' : 'smtp',
  };
  const session = (host: string, p: number) =>
    resolveSession({ ...sessionFlags, connect: formatHostPort(host, p), ...(mode === 'starttls' ? { starttls: sessionFlags.proto } : mode === 'tls' ? { tls: true } : { plain: true }) }, []).options;
  // Bad connection flags (-timeout, -CAfile …) are usage errors before any DNS or network.
  session(server?.host ?? 'localhost', port ?? 25);
  return {
    server: server?.host,
    port,
    mode,
    session,
    xclient,
    greeting,
    from,
    to,
    message,
    auth: user ? { user, mechanism } : undefined,
    quitAfter,
    pipeline: !!flags.pipeline,
    suppressData: !!flags.suppress_data,
    resolvers: Array.isArray(flags.resolver) ? flags.resolver : undefined,
  };
}

/** A no-echo prompt on the terminal, when there is one. */
async function terminalPrompt(io: MainIo, printer: Printer): Promise<((question: string) => Promise<string | undefined>) | undefined> {
  if (!io.stdin.isTTY) return undefined;
  return async (question) => {
    const { startTerminalInput } = await import('../session/terminalInput.js');
    const input = await startTerminalInput(io.stdin, io.stdout, printer, { line: () => {}, end: () => {}, interrupt: () => {} });
    try {
      return await input.askSecret(question);
    } finally {
      input.close();
    }
  };
}

export async function sendCommand(argv: string[], io: MainIo, printer: Printer, deps: SendDeps = {}): Promise<number> {
  const parsed = parseSendArgs(argv);
  if (parsed.flags.help) {
    io.stdout.write(sendHelp() + '\n');
    return EXIT_CODES.OK;
  }
  const request = sendRequest(parsed);
  let auth: SendRequest['auth'];
  if (request.auth) {
    const passFile = typeof parsed.flags.pass_file === 'string' ? parsed.flags.pass_file : undefined;
    const given = typeof parsed.flags.auth_password === 'string' ? parsed.flags.auth_password : undefined;
    const secret = await findSecret(given, { env: io.env, passFile, prompt: await terminalPrompt(io, printer) }, `Password for ${request.auth.user}: `).catch((error: unknown) => {
      if (error instanceof MailprobeError && error.code === 'USAGE' && !passFile) throw usageError('no password for --auth-user', 'give --auth-password, MAILPROBE_PASSWORD or --pass-file FILE');
      throw error;
    });
    if (secret === undefined) throw usageError('no password was typed: nothing sent');
    auth = { ...request.auth, secret };
  }
  return runSend({ ...request, auth }, sendObserver(printer), printer, deps);
}
