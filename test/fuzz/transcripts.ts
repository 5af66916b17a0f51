// Realistic conversations per protocol, the starting points the fuzz tests mutate, and
// arbitraries for random conversations (not a test file itself).
import fc from 'fast-check';
import { ImapFramer } from '../../src/protocols/imap/framer.js';
import { NntpFramer } from '../../src/protocols/nntp/framer.js';
import { Pop3Framer } from '../../src/protocols/pop3/framer.js';
import { IrcFramer } from '../../src/protocols/irc/framer.js';
import { SieveFramer } from '../../src/protocols/sieve/framer.js';
import { SmtpFramer } from '../../src/protocols/smtp/framer.js';
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
