// Realistic conversations per protocol, the starting points the fuzz tests mutate, and
// arbitraries for random conversations (not a test file itself).
import fc from 'fast-check';
import { FtpFramer } from '../../src/protocols/ftp/framer.js';
import { ImapFramer } from '../../src/protocols/imap/framer.js';
import { NntpFramer } from '../../src/protocols/nntp/framer.js';
import { Pop3Framer } from '../../src/protocols/pop3/framer.js';
import { IrcFramer } from '../../src/protocols/irc/framer.js';
import { SieveFramer } from '../../src/protocols/sieve/framer.js';
import { SmtpFramer } from '../../src/protocols/smtp/framer.js';
import { MAX_MESSAGE_BYTES, PostgresFramer } from '../../src/protocols/postgres/framer.js';
import { sslRequest, startupMessage, terminate } from '../../src/protocols/postgres/messages.js';
import { MAX_PACKET_BYTES, MysqlFramer } from '../../src/protocols/mysql/framer.js';
import { sslRequestPacket } from '../../src/protocols/mysql/packets.js';
import type { Framer } from '../../src/protocols/types.js';
import { bytesArb, latin1, longRunArb, mutate, mutationArb, type Step } from './support.js';

const s = (sent: string): Step => ({ sent });
const r = (text: string): Step => ({ recv: latin1(text) });

export const SMTP_SEEDS: Step[][] = [
  [
    r('220-mx.example.com ESMTP Postfix\r\n220 no UCE\r\n'),
    s('EHLO client.example'),
    r('250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n250-AUTH=PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 STARTTLS\r\n'),
    s('MAIL FROM:<a@example.com>'),
    r('250 2.1.0 Ok\r\n'),
    s('RCPT TO:<b@example.com>'),
    r('250 2.1.5 Ok\r\n'),
    s('DATA'),
    r('354 End data with <CR><LF>.<CR><LF>\r\n'),
    s('Subject: hi'),
    s(''),
    s('..dot-stuffed'),
    s('.'),
    r('250 2.0.0 Ok: queued as 4XyZ1\r\n'),
    s('QUIT'),
    r('221 2.0.0 Bye\r\n'),
  ],
  [
    r('220 smtp.example.net ESMTP\n'),
    s('EHLO x'),
    r('250-smtp.example.net Hello\n250-AUTH LOGIN\n250 HELP\n'),
    s('AUTH LOGIN'),
    r('334 VXNlcm5hbWU6\r\n'),
    s('dXNlcg=='),
    r('334 UGFzc3dvcmQ6\r\n'),
    s('cGFzcw=='),
    r('535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6\r\n'),
    s('STARTTLS'),
    r('454 4.7.0 TLS not available due to local problem\r\n'),
    s('NOOP'),
    r('250'),
  ],
];

export const LMTP_SEEDS: Step[][] = [
  [
    r('220 lmtp.example.com LMTP ready\r\n'),
    s('LHLO client'),
    r('250-lmtp.example.com\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n'),
    s('MAIL FROM:<a@example.com>'),
    r('250 2.1.0 Ok\r\n'),
    s('RCPT TO:<b@example.com>'),
    r('250 2.1.5 Ok\r\n'),
    s('RCPT TO:<c@example.com>'),
    r('250 2.1.5 Ok\r\n'),
    s('RCPT TO:<nobody@example.com>'),
    r('550 5.1.1 User unknown\r\n'),
    s('DATA'),
    r('354 go ahead\r\n'),
    s('hello'),
    s('.'),
    r('250 2.0.0 <b@example.com> delivered\r\n452 4.2.2 <c@example.com> mailbox full\r\n'),
    s('QUIT'),
    r('221 bye\r\n'),
  ],
];

export const IMAP_SEEDS: Step[][] = [
  [
    r('* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n'),
    s('a1 CAPABILITY'),
    r('* CAPABILITY IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED AUTH=PLAIN AUTH=SCRAM-SHA-256\r\na1 OK Pre-login capabilities listed, post-login capabilities have more.\r\n'),
    s('a2 SELECT INBOX'),
    r('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1700000000] UIDs valid\r\na2 OK [READ-WRITE] Select completed.\r\n'),
    s('a3 FETCH 1:2 (BODY[HEADER.FIELDS (SUBJECT)] BODY[TEXT])'),
    r('* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: hi\r\n\r\n BODY[TEXT] {24}\r\na3 OK fake\r\n* BYE fake\r\n)\r\n* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {0}\r\n BODY[TEXT] "x")\r\na3 OK Fetch completed.\r\n'),
    s('a4 APPEND INBOX {11}'),
    r('+ Ready for literal data\r\n'),
    s('hello world'),
    r('a4 OK [APPENDUID 1700000000 4] Append completed.\r\n'),
    s('a5 AUTHENTICATE PLAIN'),
    r('+ \r\n'),
    s('AHVzZXIAcGFzcw=='),
    r('a5 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n'),
    s('a6 LOGOUT'),
    r('* BYE Logging out\r\na6 OK Logout completed.\r\n'),
  ],
  [
    r('* PREAUTH [CAPABILITY IMAP4rev1] already logged in\n'),
    s('a1 STARTTLS'),
    r('a1 BAD STARTTLS not allowed now\n'),
    s('a2 FETCH 1 BODY[]'),
    r('* 1 FETCH (BODY[] {999999999999}\r\nendless literal data\r\n'),
  ],
];

export const POP3_SEEDS: Step[][] = [
  [
    r('+OK Dovecot ready. <1896.697170952@dbc.mtview.ca.us>\r\n'),
    s('CAPA'),
    r('+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nSTLS\r\nSASL PLAIN LOGIN\r\n.\r\n'),
    s('USER alice'),
    r('+OK\r\n'),
    s('PASS secret'),
    r('+OK Logged in.\r\n'),
    s('LIST'),
    r('+OK 2 messages:\r\n1 120\r\n2 200\r\n.\r\n'),
    s('RETR 1'),
    r('+OK 120 octets\r\nSubject: hi\r\n\r\n..a line starting with a dot\r\n+OK not a status\r\n-ERR not a status either\r\n.\r\n'),
    s('UIDL 2'),
    r('+OK 2 whqtswO00WBw418f9t5JxYwZ\r\n'),
    s('TOP 9 0'),
    r('-ERR [SYS/PERM] no such message\r\n'),
    s('AUTH PLAIN'),
    r('+ \r\n'),
    s('AHVzZXIAcGFzcw=='),
    r('-ERR [AUTH] Authentication failed.\r\n'),
    s('QUIT'),
    r('+OK Logging out.\r\n'),
  ],
];

export const SIEVE_SEEDS: Step[][] = [
  [
    r('"IMPLEMENTATION" "Dovecot Pigeonhole"\r\n"SIEVE" "fileinto reject envelope vacation"\r\n"NOTIFY" "mailto"\r\n"SASL" "PLAIN LOGIN"\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\nOK "Dovecot ready."\r\n'),
    s('LISTSCRIPTS'),
    r('"summer_script"\r\n"main" ACTIVE\r\nOK "Listscripts completed."\r\n'),
    s('GETSCRIPT "main"'),
    r('{54}\r\nrequire "fileinto";\r\nOK "not the end"\r\nfileinto "x";\r\n\r\nOK "Getscript completed."\r\n'),
    s('AUTHENTICATE "PLAIN"'),
    r('""\r\n'),
    s('"AHVzZXIAcGFzcw=="'),
    r('NO (SASL) "Authentication failed."\r\n'),
    s('HAVESPACE "x" 100000000'),
    r('NO (QUOTA/MAXSIZE) "Quota exceeded"\r\n'),
    s('LOGOUT'),
    r('BYE "Logging out"\r\n'),
  ],
];

/** IRC: NOTICEs and a PING before anything, CAP LS over two lines, a 421 for CAP, the 670. */
export const IRC_SEEDS: Step[][] = [
  [
    s('CAP LS 302'),
    s('STARTTLS'),
    r(':irc.example.net NOTICE * :*** Looking up your hostname...\r\n:irc.example.net NOTICE * :*** Found your hostname\r\nPING :3F2A1B\r\n'),
    r(':irc.example.net CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL\r\n:irc.example.net CAP * LS :tls account-notify\r\n'),
    r(':irc.example.net 670 * :STARTTLS successful, go ahead with TLS handshake\r\n'),
  ],
  [
    s('CAP LS 302'),
    s('STARTTLS'),
    r(':old.example.org 421 * CAP :Unknown command\r\n:old.example.org 020 * :Please wait while we process your connection.\r\n'),
    r(':old.example.org 421 * STARTTLS :Unknown command\r\n'),
    s('NICK alice'),
    s('USER alice 0 * :Alice'),
    r(':old.example.org 001 alice :Welcome\r\n:old.example.org 372 alice :- motd\r\n'),
    s('QUIT'),
    r('ERROR :Closing Link: alice (Quit: )\r\n'),
  ],
  [
    r('@time=2026-01-01T00:00:00.000Z :irc.example.net NOTICE * :hi\n'),
    s('STARTTLS'),
    r(':irc.example.net 691 * :STARTTLS failed (Wrong moon phase)\r\n'),
  ],
  [
    // InspIRCd 3 without its starttls module: the CAP LS answer (no tls) is all that comes.
    s('CAP LS 302'),
    s('STARTTLS'),
    r(':irc.mailprobe.test CAP * LS * :inspircd.org/poison\r\n:irc.mailprobe.test CAP * LS :inspircd.org/standard-replies\r\n'),
    s('CAP END'),
    s('NICK 1bad'),
    s('USER bad 0 * :Bad'),
    r(':irc.mailprobe.test 432 * 1bad :Erroneous Nickname\r\n'),
    s('NICK good'),
    r(':irc.mailprobe.test 001 good :Welcome to the MailprobeTest IRC Network good!bad@127.0.0.1\r\n'),
  ],
];

export const NNTP_SEEDS: Step[][] = [
  [
    r('200 news.example.com InterNetNews NNRP server INN 2.6.4 ready (posting ok)\r\n'),
    s('CAPABILITIES'),
    r('101 Capability list:\r\nVERSION 2\r\nIMPLEMENTATION INN 2.6.4\r\nAUTHINFO USER\r\nHDR\r\nLIST ACTIVE ACTIVE.TIMES DISTRIB.PATS HEADERS NEWSGROUPS OVERVIEW.FMT\r\nOVER\r\nPOST\r\nREADER\r\nSASL PLAIN\r\nSTARTTLS\r\n.\r\n'),
    s('AUTHINFO USER alice'),
    r('381 Enter password\r\n'),
    s('AUTHINFO PASS secret'),
    r('281 Authentication succeeded\r\n'),
    s('LIST'),
    r('215 Newsgroups in form "group high low status"\r\nmisc.test 0000003002 0000003000 y\r\n..dotted.group 2 1 n\r\n.\r\n'),
    s('GROUP misc.test'),
    r('211 3 3000 3002 misc.test\r\n'),
    s('ARTICLE 3000'),
    r('220 3000 <a@b> article\r\nSubject: hi\r\n\r\n..a line starting with a dot\r\n205 not a status\r\n.\r\n'),
    s('HEAD 9999'),
    r('423 No such article number in this group\r\n'),
    s('OVER 3000-3002'),
    r('224 Overview information follows\r\n3000\thi\ta@b\t6 Oct 1998\t<a@b>\t\t1234\t17\r\n.\r\n'),
    s('POST'),
    r('340 Input article; end with <CR-LF>.<CR-LF>\r\n'),
    s('Subject: test'),
    s(''),
    s('..stuffed'),
    s('.'),
    r('240 Article received <c@d>\r\n'),
    s('AUTHINFO SASL PLAIN'),
    r('383 =\r\n'),
    s('AHVzZXIAcGFzcw=='),
    r('481 Authentication failed\r\n'),
    s('QUIT'),
    r('205 Bye!\r\n'),
  ],
];

export const FTP_SEEDS: Step[][] = [
  [
    r('220-Welcome to the FTP service.\r\n220-Mind the gap.\r\n220 (vsFTPd 3.0.3)\r\n'),
    s('FEAT'),
    r('211-Features:\r\n AUTH TLS\r\n EPRT\r\n PBSZ\r\n PROT\r\n REST STREAM\r\n211 End\r\n'),
    s('USER alice'),
    r('331 Please specify the password.\r\n'),
    s('PASS secret'),
    r('230 Login successful.\r\n'),
    s('LIST'),
    r('150 Here comes the directory listing.\r\n226 Directory send OK.\r\n'),
    s('HELP'),
    r('214-The following commands are recognized.\r\n ABOR ACCT ALLO APPE\r\n2145 four digits do not close it\r\n214 Help OK.\r\n'),
    s('RETR missing'),
    r('550 Failed to open file.\r\n'),
    s('QUIT'),
    r('221 Goodbye.\r\n'),
  ],
  [
    r('120 Service ready in 1 minute.\n220 ProFTPD Server ready\n'),
    s('AUTH TLS'),
    r('534 Policy denies TLS\r\n'),
    s('PBSZ 0'),
    r('503 PBSZ needs a secure connection.\r\n'),
    s('NOOP'),
    r('200'),
  ],
];

export interface FramerKind {
  name: string;
  make(maxLine?: number): Framer;
  seeds: Step[][];
  /** Commands for random conversations. */
  commands: string[];
}

export const FRAMER_KINDS: FramerKind[] = [
  {
    name: 'SMTP',
    make: (maxLine) => new SmtpFramer(false, true, maxLine),
    seeds: SMTP_SEEDS,
    commands: ['EHLO x', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.', 'line of content', 'RSET', 'NOOP', 'STARTTLS', 'AUTH PLAIN', 'QUIT'],
  },
  {
    name: 'LMTP',
    make: (maxLine) => new SmtpFramer(true, true, maxLine),
    seeds: LMTP_SEEDS,
    commands: ['LHLO x', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'DATA', '.', 'line of content', 'RSET', 'NOOP', 'QUIT'],
  },
  {
    name: 'IMAP',
    make: (maxLine) => new ImapFramer(maxLine),
    seeds: IMAP_SEEDS,
    commands: ['a1 CAPABILITY', 'a2 APPEND INBOX {5}', 'a3 APPEND INBOX {5+}', 'hello', 'a4 FETCH 1 BODY[]', 'a5 LOGOUT', 'a6 IDLE', 'DONE'],
  },
  {
    name: 'POP3',
    make: (maxLine) => new Pop3Framer(maxLine),
    seeds: POP3_SEEDS,
    commands: ['CAPA', 'LIST', 'LIST 1', 'UIDL', 'RETR 1', 'TOP 1 0', 'AUTH', 'AUTH PLAIN', 'STAT', 'QUIT'],
  },
  {
    name: 'NNTP',
    make: (maxLine) => new NntpFramer(maxLine),
    seeds: NNTP_SEEDS,
    commands: ['CAPABILITIES', 'LIST', 'LISTGROUP', 'GROUP misc.test', 'ARTICLE 1', 'HEAD 1', 'BODY 1', 'OVER 1-2', 'XHDR Subject 1', 'HELP', 'POST', 'line of content', '.', 'AUTHINFO SASL PLAIN', 'STARTTLS', 'QUIT'],
  },
  {
    name: 'Sieve',
    make: (maxLine) => new SieveFramer(maxLine),
    seeds: SIEVE_SEEDS,
    commands: ['CAPABILITY', 'AUTHENTICATE "PLAIN"', '"AHVzZXIAcGFzcw=="', 'GETSCRIPT "a"', 'LISTSCRIPTS', 'STARTTLS', 'LOGOUT'],
  },
  {
    name: 'FTP',
    make: (maxLine) => new FtpFramer(maxLine),
    seeds: FTP_SEEDS,
    commands: ['FEAT', 'AUTH TLS', 'PBSZ 0', 'PROT P', 'USER a', 'PASS b', 'LIST', 'RETR f', 'HELP', 'NOOP', 'QUIT'],
  },
  {
    name: 'IRC',
    make: (maxLine) => new IrcFramer(maxLine),
    seeds: IRC_SEEDS,
    commands: ['CAP LS 302', 'STARTTLS', 'NICK a', 'USER a 0 * :A', 'PONG :x', 'AUTHENTICATE PLAIN', 'PRIVMSG #c :hi', 'QUIT'],
  },
];

/** A seed conversation whose server bytes are mutated (inserted, deleted, replaced bytes). */
export const mutatedSeedArb = (kind: FramerKind): fc.Arbitrary<Step[]> =>
  fc
    .tuple(fc.constantFrom(...kind.seeds), fc.array(fc.array(mutationArb, { maxLength: 6 }), { minLength: 1, maxLength: 8 }))
    .map(([seed, mutations]) => {
      let recv = 0;
      return seed.map((step) => ('recv' in step ? { recv: mutate(step.recv, mutations[recv++ % mutations.length]!) } : step));
    });

/** A random conversation: the protocol's commands between random server bytes. */
export const randomConversationArb = (kind: FramerKind): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.oneof(
      fc.constantFrom(...kind.commands).map((sent): Step => ({ sent })),
      bytesArb(120).map((recv): Step => ({ recv })),
      longRunArb.map((recv): Step => ({ recv })),
      fc.constant<Step>({ recv: latin1('* 1 FETCH (BODY[] {999999999999}\r\n') }),
    ),
    { maxLength: 10 },
  );

export const conversationArb = (kind: FramerKind): fc.Arbitrary<Step[]> =>
  fc.oneof({ arbitrary: mutatedSeedArb(kind), weight: 2 }, { arbitrary: randomConversationArb(kind), weight: 1 });

// ---------------------------------------------------------------------------------------
// Binary protocols (PostgreSQL messages, MySQL packets): no lines, so no maxLine. Their
// bound is their own largest message; a "sent" step names a message the client sends.

/** A typed PostgreSQL backend message. */
function pgMessage(type: string, body: string): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, latin1(body)]);
}

/** A MySQL packet. */
function myPacket(sequence: number, payload: string): Buffer {
  return Buffer.concat([Buffer.from([payload.length & 0xff, (payload.length >> 8) & 0xff, payload.length >> 16, sequence]), latin1(payload)]);
}

const rb = (recv: Buffer): Step => ({ recv });

export const POSTGRES_SEEDS: Step[][] = [
  [s('SSLRequest'), r('S'), s('StartupMessage'), rb(pgMessage('R', '\0\0\0\x0aSCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0'))],
  [s('SSLRequest'), r('N')],
  [s('SSLRequest'), rb(pgMessage('E', 'SFATAL\0C08P01\0Munsupported frontend protocol\0\0'))],
  [
    s('StartupMessage'),
    rb(Buffer.concat([pgMessage('R', '\0\0\0\0'), pgMessage('S', 'server_version\x0017.2\0'), pgMessage('K', '\0\0\x10\x92\0\0\0\x63'), pgMessage('Z', 'I')])),
    s('Terminate'),
  ],
  [s('SSLRequest'), r('S'), s('StartupMessage'), rb(pgMessage('E', 'SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry\0\0'))],
  [s('StartupMessage'), rb(Buffer.concat([pgMessage('N', 'SNOTICE\0Mhello\0\0'), pgMessage('R', '\0\0\0\x05salt')]))],
];

const MYSQL_HANDSHAKE = myPacket(0, '\x0a5.5.5-10.11.6-MariaDB\0\x1f\0\0\0abcdefgh\0\xfe\xff\x2d\x02\0\xff\x81\x15\0\0\0\0\0\0\0\0\0\0ijklmnopqrst\0mysql_native_password\0');

export const MYSQL_SEEDS: Step[][] = [
  [rb(MYSQL_HANDSHAKE), s('SSL request')],
  [rb(myPacket(0, "\xff\x6a\x04Host '10.1.2.3' is not allowed to connect to this MariaDB server"))],
  [rb(myPacket(0, '\xff\x10\x04#08004Too many connections'))],
  [rb(Buffer.concat([MYSQL_HANDSHAKE, myPacket(1, '\0\0\0\x02\0\0\0')])), s('SSL request')],
];

/** Hands "sent" steps that name a client message to sentMessage, as the connection does. */
function sendingMessages(framer: Framer, messages: Record<string, Buffer>): Framer {
  return {
    push: (chunk) => framer.push(chunk),
    sent: (line) => (messages[line] && framer.sentMessage ? framer.sentMessage(messages[line]) : framer.sent(line)),
    inContent: () => framer.inContent(),
    pendingBytes: () => framer.pendingBytes(),
    takePartial: () => framer.takePartial(),
    drain: () => framer.drain(),
  };
}

export interface BinaryFramerKind extends FramerKind {
  /** The longest message (header included) the framer holds or hands out. */
  bound: number;
}

export const BINARY_FRAMER_KINDS: BinaryFramerKind[] = [
  {
    name: 'PostgreSQL',
    make: () => sendingMessages(new PostgresFramer(), { SSLRequest: sslRequest(), StartupMessage: startupMessage('alice'), Terminate: terminate() }),
    seeds: POSTGRES_SEEDS,
    commands: ['SSLRequest', 'StartupMessage', 'Terminate'],
    bound: 5 + MAX_MESSAGE_BYTES,
  },
  {
    name: 'MySQL',
    make: () => sendingMessages(new MysqlFramer(), { 'SSL request': sslRequestPacket() }),
    seeds: MYSQL_SEEDS,
    commands: ['SSL request'],
    bound: 4 + MAX_PACKET_BYTES,
  },
];
