// What every protocol folder provides. Protocols never print: they return lines with a
// tone, and the terminal layer decides how those look.

export type ProtocolName =
  | 'smtp'
  | 'lmtp'
  | 'imap'
  | 'pop3'
  | 'sieve'
  | 'irc'
  | 'nntp'
  | 'ftp'
  | 'xmpp'
  | 'xmpp-server'
  | 'ldap'
  | 'postgres'
  | 'mysql'
  | 'raw';

/** What a server line means, for colouring and for the session's own decisions. */
export type Tone = 'ok' | 'intermediate' | 'tempfail' | 'permfail' | 'info' | 'bye' | 'malformed' | 'literal';

export interface ServerLine {
  /** The line's bytes without its line ending. */
  bytes: Buffer;
  /** The same bytes as latin1 text, for matching protocol tokens (which are ASCII). */
  text: string;
  ending: 'crlf' | 'lf' | 'none';
  tone: Tone;
  /** This line completes a reply (SMTP final line, IMAP tagged line or continuation, ...). */
  final: boolean;
  /** Part of a line too long to hold: more of the same line follows or preceded it. */
  continued?: boolean;
  /** Raw literal data inside an IMAP/sieve response, never parsed for tags or codes. */
  literal?: boolean;
  /**
   * A readable rendering of a message that is not a text line (a BER LDAPMessage, a
   * PostgreSQL or MySQL packet, an XML element): shown instead of `bytes`, escaped like them.
   * `bytes` stays the wire's, for the transcript and injection evidence.
   */
  shown?: string;
}

/**
 * Turns server bytes, in chunks of any size, into lines, and keeps the protocol's state:
 * what the client sent decides which server lines complete a reply.
 */
export interface Framer {
  push(chunk: Buffer): ServerLine[];
  /** Tells the framer a line went to the server; returns how many replies it now waits for. */
  sent(line: string): number;
  /** Bytes sent without a line of their own (message content, literal data). */
  sentRaw?(bytes: number): void;
  /** A protocol message that is not a text line went out (BER, a packet); returns the replies now owed. */
  sentMessage?(bytes: Buffer): number;
  /** True while the user is typing message content (SMTP DATA) rather than commands. */
  inContent(): boolean;
  /** Bytes received but not yet part of a complete line. */
  pendingBytes(): number;
  /** Hands out the incomplete line so far (to show a prompt without a line ending). */
  takePartial(): ServerLine | undefined;
  /** Removes and returns bytes not yet framed (needed when STARTTLS hands the socket on). */
  drain(): Buffer;
}

export interface Reply {
  lines: ServerLine[];
  /** The line that completed the reply. */
  last: ServerLine;
}

/** The dialogue a STARTTLS implementation talks through; the session implements it. */
export interface Exchange {
  /** Sends a line; `shown` is what echo and transcript show instead (secrets redacted). */
  send(line: string, shown?: string): void;
  /**
   * Sends a protocol message that is not a text line (an LDAP request, a PostgreSQL
   * SSLRequest, a MySQL packet); `shown` describes it for echo and transcript. With
   * `startTls` it asks for TLS: the STARTTLS rules apply to it as to a STARTTLS line, and
   * when the framer owes no reply to it (MySQL's SSL request) TLS starts at once.
   */
  sendMessage(bytes: Buffer, shown: string, how?: { startTls?: boolean }): void;
  reply(stage: string): Promise<Reply>;
  /** Something in the dialogue the user should hear of that does not stop it (FTP: PROT P refused). */
  warn?(text: string): void;
}

/** What a SASL exchange step came back as (RFC 4422 §3 profile of each protocol). */
export type SaslOutcome =
  | { kind: 'challenge'; base64: string }
  | { kind: 'success'; base64?: string }
  | { kind: 'failure' };

/** How one protocol carries SASL: its command, challenges, responses and results. */
export interface SaslProfile {
  /** The command that starts the exchange, with the initial response when one is given. */
  command(mechanism: string, initialBase64: string | undefined, context: DialogueContext): string;
  /** Whether an initial response may go with the command (IMAP needs SASL-IR). */
  acceptsInitialResponse(capabilities: Capabilities | undefined): boolean;
  outcome(reply: Reply): SaslOutcome;
  /** A response line for a challenge (base64, quoted for ManageSieve). */
  response(base64: string): string;
  /** The line that aborts an exchange. */
  cancel: string;
}

/** Logging in without SASL: IMAP LOGIN, POP3 USER/PASS. */
export interface PasswordLogin {
  name: string;
  run(exchange: Exchange, user: string, password: string, context: DialogueContext): Promise<{ ok: boolean; reply: Reply }>;
}

export interface DialogueContext {
  /** EHLO/LHLO name. */
  clientName: string;
  /** The host connected to, as given (XMPP's stream "to" when no name is given). */
  serverHost: string;
  /** The name the user gave with -name or -xmpphost, if any (XMPP domain, PostgreSQL user). */
  givenName?: string;
  /** The next IMAP tag (a1, a2, ...), shared with the session so tags never repeat. */
  nextTag(): string;
}

export interface Capabilities {
  /** Upper-cased keywords, e.g. STARTTLS, AUTH, SIZE, IDLE, SASL. */
  keywords: Set<string>;
  /** Upper-cased parameters by keyword: AUTH → [PLAIN, LOGIN]. */
  params: Map<string, string[]>;
  /** SASL mechanisms the server offers, however the protocol spells them. */
  authMechanisms: string[];
}

/** swaks' --quit-after stages, in the order a session passes them. */
export const QUIT_STAGES = ['connect', 'banner', 'tls', 'ehlo', 'auth', 'mail', 'rcpt', 'data'] as const;
export type QuitStage = (typeof QUIT_STAGES)[number];

export interface TypedCredentials {
  /** What echo and transcript show (secrets replaced by [redacted]). */
  shown: string;
  /** The line carries a secret. */
  credentials: boolean;
  /** The line starts a SASL exchange: the lines answering its challenges are secret. */
  sasl: boolean;
  /** The line starts a credential command that goes on after a literal ({n}): its next lines are secret too. */
  continues?: boolean;
}

/** A well-known port: how it is spoken when no flag says, and its service names. */
export interface PortEntry {
  port: number;
  mode: 'starttls' | 'tls';
  services: string[];
}

export interface ProtocolSpec {
  name: ProtocolName;
  label: string;
  defaultPort: number;
  implicitTlsPort?: number;
  /** The ports this protocol is found on (the one port table: modes and service names). */
  ports: PortEntry[];
  /** What a session of this protocol does not do, said once in -help (FTP: no data connections). */
  sessionNote?: string;
  /** LMTP: the final dot (and BDAT LAST) is answered once per accepted recipient. */
  repliesPerRecipient?: boolean;
  /** Command that ends the session politely. */
  quitCommand(context: DialogueContext): string;
  /** The server does not speak first: the client does (PostgreSQL, LDAP, XMPP). */
  greets?: false;
  /** ALPN protocols for implicit TLS when -alpn gives none (PostgreSQL 17 direct TLS: postgresql). */
  implicitTlsAlpn?: string[];
  /** A goodbye that is not a text line (LDAP unbind, PostgreSQL Terminate); else quitCommand is sent. */
  farewell?(exchange: Exchange, context: DialogueContext): void;
  /**
   * No line session (LDAP, PostgreSQL, MySQL): once connected (and upgraded) mailprobe runs
   * this dialogue itself instead — its messages shown like any reply — then says goodbye
   * and closes. Rejects with a MailprobeError on a refusal worth an exit code.
   */
  closingDialogue?(exchange: Exchange, context: DialogueContext): Promise<void>;
  /**
   * The server sends lines nobody asked for as a matter of course (IRC NOTICE and PING): lines
   * that complete no reply are then no sign of injection when a STARTTLS goes out. Replies
   * that answer no command still are, whatever the protocol.
   */
  unpromptedLines?: boolean;
  /** The server repeats its capabilities after TLS without being asked (ManageSieve). */
  readsCapabilitiesUnasked?: boolean;
  /** A framer; `greeting: false` after STARTTLS, when the server does not greet again. */
  createFramer(options?: { greeting?: boolean }): Framer;
  /** Is this first server line this protocol's greeting (for ports no flag names)? */
  recognisesGreeting(line: string): boolean;
  /** What a line the user typed carries: credentials to guard and redact, a SASL start. */
  typedCredentials(line: string): TypedCredentials;
  /** The -starttls name that upgrades this protocol (for hints); none for raw. */
  startTlsName?: string;
  /** The keyword that advertises STARTTLS in the capabilities (STLS in POP3). */
  startTlsKeyword?: string;
  /** Does this capability list offer a password login in the clear (besides SASL)? */
  offersPasswordLogin?(capabilities: Capabilities): boolean;
  /** A literal ({n}) the client announces waits for the server's "+" before its data goes (IMAP). */
  synchronisingLiterals?: boolean;
  /** The tag of a tagged completion line (IMAP "a5 OK ..."), to match it with its command. */
  completionTag?(text: string): string | undefined;
  /** Commands typed without a tag get the next one (IMAP). */
  tagsCommands?: ReadonlySet<string>;
  /** The status a script's EXPECT is matched against (IMAP: without the tag). */
  replyStatus(reply: Reply): string;
  /** The --quit-after stage a successful reply to `command` completes. */
  stageOf(command: string, reply: Reply): QuitStage | undefined;
  /** What a typed command says of the envelope (MAIL FROM starts one, RCPT TO adds to it). */
  envelopeOf?(line: string): { from: string } | { to: string } | undefined;
  /** How a message is handed over: SMTP/LMTP DATA, or IMAP APPEND. */
  submission?: 'data' | 'append';
  /** A challenge line is always SASL (SMTP 334), not possibly an invitation for literal data. */
  challengesAreSasl?: boolean;
  /** Reads the greeting and runs the dialogue until the server says go ahead with TLS. */
  startTls(exchange: Exchange, context: DialogueContext): Promise<Capabilities>;
  /** Asks for capabilities again over TLS (sieve servers send them unasked). */
  afterTls(exchange: Exchange, context: DialogueContext): Promise<Capabilities | undefined>;
  /** Does this line, typed by the user, ask the server to start TLS? */
  isStartTlsCommand(line: string): boolean;
  /** Is this reply the go-ahead for a STARTTLS the user typed? */
  isStartTlsGoAhead(reply: Reply): boolean;
  /** Does this line end the session (QUIT, LOGOUT)? */
  isQuitCommand(line: string): boolean;
  /** The command that asks for capabilities (EHLO name, tagged CAPABILITY, CAPA). */
  capabilityCommand?(context: DialogueContext): string;
  /** Capabilities in a reply to `command`, when it was a capability request. */
  capabilitiesFrom?(command: string, reply: Reply): Capabilities | undefined;
  /** The base64 text of a SASL challenge line (334 ..., + ..., "..."), if the line is one. */
  challengeOf?(line: ServerLine): string | undefined;
  sasl?: SaslProfile;
  passwordLogin?: PasswordLogin;
  /** Does the server's capability list allow a plaintext login (no LOGINDISABLED)? */
  loginAllowed?(capabilities: Capabilities | undefined): boolean;
}
