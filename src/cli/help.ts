// -help text: written from the flag table so it cannot drift from what is accepted.
import { EXIT_CODES } from '../errors.js';
import { PORT_DEFAULTS, PROTOCOLS } from '../protocols/registry.js';
import { SESSION_FLAGS, STARTTLS_NAMES, type FlagSpec } from './flags.js';

/** What the port decides, from the one port table (each protocol's spec). */
function portLines(): string[] {
  const tls = [...PORT_DEFAULTS].filter(([, entry]) => entry.mode === 'tls').map(([port]) => port);
  const starttls = [...PORT_DEFAULTS].filter(([, entry]) => entry.mode === 'starttls').map(([port, entry]) => `${port} ${entry.protocol}`);
  const text = `Without -starttls/-tls/-plain the port decides: ${tls.join(', ')} implicit TLS; STARTTLS on ${starttls.join(', ')}; any other port implicit TLS. On a port no table knows, the greeting names the protocol (as -proto would).`;
  // Wrapped at 90 columns like the rest of the help.
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > 90) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** A flag as the subcommands' help and errors spell it: --warn-days. */
export function flagName(name: string): string {
  return `--${name.replace(/_/g, '-')}`;
}

/**
 * Every spelling a flag is accepted in, as help shows it: one-letter aliases first (-c),
 * then the name (-connect for the session, as openssl spells it; --per-conn for the
 * subcommands), then the other aliases (--implicit-tls). Each is also accepted with the
 * other number of dashes.
 */
export function flagSpellings(flag: FlagSpec, style: 'session' | 'command'): string[] {
  const aliases = flag.aliases ?? [];
  const short = aliases.filter((alias) => alias.length === 1).map((alias) => `-${alias}`);
  const long = aliases.filter((alias) => alias.length > 1).map((alias) => `--${alias}`);
  const name = style === 'session' ? `-${flag.name}` : flagName(flag.name);
  return [...new Set([...short, name, ...long])];
}

/** One help row: the spellings and value, then the help, on the next line when they are long. */
function flagRow(flag: FlagSpec, style: 'session' | 'command'): string {
  const left = `  ${flagSpellings(flag, style).join(', ')}${flag.value ? ` ${flag.value}` : ''}`;
  return left.length < 30 ? `${left.padEnd(30)} ${flag.help}` : `${left}\n${' '.repeat(31)}${flag.help}`;
}

/** --help for a subcommand (check, cert, load, sink), written from its flag table. */
export function commandHelp(usage: string, flags: FlagSpec[], tail: string[]): string {
  const lines = flags.map((flag) => flagRow(flag, 'command'));
  return [usage, '', 'Flags (single or double dash):', ...lines, '', ...tail].join('\n');
}

const EXIT_MEANINGS: Record<keyof typeof EXIT_CODES, string> = {
  OK: 'the session ended normally (QUIT/LOGOUT, end of input)',
  INTERNAL: 'a bug in mailprobe',
  USAGE: 'bad flags or arguments',
  EXPECTATION_FAILED: 'a script line EXPECT ... was not met, or a --quit-after stage was not reached',
  DNS: 'the host name could not be resolved',
  CONNECT: 'connection refused or unreachable',
  CONNECT_TIMEOUT: 'a timeout: connect, greeting, TLS handshake or an awaited reply (-timeout)',
  GREETING_TIMEOUT: 'a timeout: connect, greeting, TLS handshake or an awaited reply (-timeout)',
  TLS_TIMEOUT: 'a timeout: connect, greeting, TLS handshake or an awaited reply (-timeout)',
  REPLY_TIMEOUT: 'a timeout: connect, greeting, TLS handshake or an awaited reply (-timeout)',
  TLS_HANDSHAKE: 'the TLS handshake failed (incl. plaintext on a TLS port)',
  STARTTLS_UNAVAILABLE: 'STARTTLS not offered or refused, or IMAP PREAUTH',
  CERT_VERIFY: 'certificate not verified, with -verify_return_error',
  SERVER_CLOSED: 'the server closed the connection unexpectedly',
  STARTTLS_INJECTION: 'STARTTLS response injection: replies that answer no command before STARTTLS, or plaintext after its go-ahead',
  PROTOCOL: 'the server broke the protocol or refused the dialogue (e.g. EHLO)',
  AUTH_FAILED: 'authentication failed, or the server could not prove itself (SCRAM)',
  CREDENTIALS_REFUSED: 'mailprobe refused to send credentials (cleartext or unverified TLS)',
  PROXY: 'the proxy (-proxy, --socks5) refused the tunnel or its login, or did not speak its protocol',
  INTERRUPTED: 'interrupted with Ctrl-C',
  OUTPUT_CLOSED: 'standard output was closed by its reader (e.g. | head): mailprobe stopped quietly',
};

export function helpText(): string {
  const flagLines = SESSION_FLAGS.map((flag) => flagRow(flag, 'session'));
  // One row per exit code: several error codes share one (the timeouts, usage and EXPECT).
  const meanings = new Map<number, string[]>();
  for (const [name, code] of Object.entries(EXIT_CODES)) {
    const meaning = EXIT_MEANINGS[name as keyof typeof EXIT_CODES];
    const list = meanings.get(code) ?? [];
    if (!list.includes(meaning)) list.push(meaning);
    meanings.set(code, list);
  }
  const exitLines = [...meanings].map(([code, list]) => `  ${String(code).padStart(3)}  ${list.join('; ')}`);
  const checkLines = [
    '',
    'Other commands (each takes --help):',
    '  mailprobe check HOST[:PORT]...   one-shot checks (exit 0 ok, 1 warnings, 2 failures, 3 could not run, 13 credentials held back)',
    '  mailprobe cert HOST[:PORT]       the certificate report alone, or --pem',
    '  mailprobe load HOST[:PORT]       a load test (exit 0 all accepted, 2 some failed, 3 could not run, 130 Ctrl-C)',
    '  mailprobe send --to ADDRESS      one test message, swaks-style (exit code per failed stage)',
    '  mailprobe sink                   a fast SMTP/LMTP receiver with fault injection',
    '  mailprobe demo [smtp|imap|pop3]  a first session against a built-in server, no server needed',
    '  mailprobe help [COMMAND]         this text, or a command\'s --help',
  ];
  return [
    'Usage: mailprobe [flags] host[:port]',
    `       mailprobe -connect host:port [-starttls ${STARTTLS_NAMES.join('|')} | -tls | -plain] [flags]`,
    '',
    'Connects to a mail server, upgrades with STARTTLS or implicit TLS, shows a TLS and',
    'certificate report, then sends every line you type verbatim (CRLF-terminated) and shows',
    'every server line as it arrives, with control bytes escaped.',
    '',
    'Flags (single or double dash: -connect and --connect are the same):',
    ...flagLines,
    '',
    ...portLines(),
    // What a protocol's session leaves out (FTP's data connections), from its spec.
    ...[...PROTOCOLS.values()].flatMap((spec) => (spec.sessionNote ? [spec.sessionNote] : [])),
    '',
    'Exit codes:',
    ...exitLines,
    ...checkLines,
  ].join('\n');
}
