// Reply framing for every protocol, fed in arbitrary chunks: the same bytes in one chunk
// or byte by byte give the same lines and the same reply boundaries.
import { describe, expect, it } from 'vitest';
import { ImapFramer } from '../../src/protocols/imap/framer.js';
import { IrcFramer } from '../../src/protocols/irc/framer.js';
import { LineSplitter } from '../../src/protocols/lineSplitter.js';
import { NntpFramer } from '../../src/protocols/nntp/framer.js';
import { Pop3Framer } from '../../src/protocols/pop3/framer.js';
import { SieveFramer } from '../../src/protocols/sieve/framer.js';
import { SmtpFramer } from '../../src/protocols/smtp/framer.js';
import type { Framer } from '../../src/protocols/types.js';

type Step = { sent: string } | { recv: string };

/** Runs a conversation through a framer, splitting server bytes with `split`. */
function frame(framer: Framer, steps: Step[], split: (bytes: Buffer) => Buffer[]) {
  const out: string[] = [];
  for (const step of steps) {
    if ('sent' in step) {
      out.push(`sent ${step.sent} → ${framer.sent(step.sent)}`);
      continue;
    }
    for (const chunk of split(Buffer.from(step.recv, 'latin1'))) {
      for (const line of framer.push(chunk)) {
        out.push(`${line.final ? 'FINAL' : 'line'} ${line.tone}${line.literal ? ' literal' : ''} ${line.text}`);
      }
    }
  }
  return out;
}

const whole = (b: Buffer) => [b];
const bytewise = (b: Buffer) => [...b].map((x) => Buffer.from([x]));
const random = (b: Buffer) => {
  const out: Buffer[] = [];
  let seed = b.length * 7919;
  for (let i = 0; i < b.length; ) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const n = 1 + (seed % 7);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
};

function sameInAnyChunking(make: () => Framer, steps: Step[]) {
  const a = frame(make(), steps, whole);
  expect(frame(make(), steps, bytewise)).toEqual(a);
  expect(frame(make(), steps, random)).toEqual(a);
  return a;
}

describe('SMTP', () => {
  it('ends a multi-line reply on its last line, split across writes', () => {
    const lines = sameInAnyChunking(() => new SmtpFramer(), [
      { recv: '220-mx ESMTP\r\n220 ready\r\n' },
      { sent: 'EHLO a' },
      { recv: '250-mx\r\n250-STARTTLS\r\n250 SIZE 10\r\n' },
    ]);
    expect(lines).toEqual([
      'line ok 220-mx ESMTP',
      'FINAL ok 220 ready',
      'sent EHLO a → 1',
      'line ok 250-mx',
      'line ok 250-STARTTLS',
      'FINAL ok 250 SIZE 10',
    ]);
  });

  it('knows DATA content needs no reply until the dot, and tones by class', () => {
    const framer = new SmtpFramer();
    framer.push(Buffer.from('220 hi\r\n'));
    expect(framer.state()).toBe('COMMAND');
    framer.sent('DATA');
    expect(framer.push(Buffer.from('354 go\r\n'))[0]).toMatchObject({ tone: 'intermediate', final: true });
    expect(framer.state()).toBe('DATA_CONTENT');
    expect(framer.sent('QUIT')).toBe(0); // message text, not a command
    expect(framer.sent('.')).toBe(1);
    expect(framer.inContent()).toBe(false);
    expect(framer.push(Buffer.from('451 4.3.0 later\r\n'))[0].tone).toBe('tempfail');
  });

  it('LMTP waits for one reply per accepted recipient after the dot', () => {
    const framer = new SmtpFramer(true);
    framer.push(Buffer.from('220 hi\r\n'));
    framer.sent('MAIL FROM:<a>');
    framer.push(Buffer.from('250 ok\r\n'));
    for (const [rcpt, reply] of [['RCPT TO:<a>', '250 ok'], ['RCPT TO:<b>', '550 no'], ['RCPT TO:<c>', '250 ok']]) {
      framer.sent(rcpt);
      framer.push(Buffer.from(`${reply}\r\n`));
    }
    framer.sent('DATA');
    framer.push(Buffer.from('354 go\r\n'));
    expect(framer.sent('.')).toBe(2);
  });

  it('marks lines that are not three digits as malformed but still ends on them', () => {
    const [line] = new SmtpFramer().push(Buffer.from('hello there\r\n'));
    expect(line).toMatchObject({ tone: 'malformed', final: true });
  });

  it('cuts an endless line into bounded pieces', () => {
    const framer = new SmtpFramer(false, true, 1024);
    const lines = framer.push(Buffer.alloc(10_000, 0x41));
    expect(lines.length).toBe(9);
    expect(lines.every((l) => l.bytes.length === 1024 && l.continued && !l.final)).toBe(true);
    expect(framer.pendingBytes()).toBeLessThanOrEqual(1024);
  });
});

describe('IMAP', () => {
  it('ends on tagged lines and continuations, never inside a literal', () => {
    const lines = sameInAnyChunking(() => new ImapFramer(), [
      { recv: '* OK ready\r\n' },
      { sent: 'a1 FETCH 1 BODY[]' },
      { recv: '* 1 FETCH (BODY[] {14}\r\na1 OK inside\r\n)\r\na1 OK done\r\n' },
      { sent: 'a2 APPEND x {3}' },
      { recv: '+ go ahead\r\n' },
    ]);
    expect(lines).toEqual([
      'FINAL ok * OK ready',
      'sent a1 FETCH 1 BODY[] → 1',
      'line info * 1 FETCH (BODY[] {14}',
      'line literal literal a1 OK inside',
      'line info )',
      'FINAL ok a1 OK done',
      'sent a2 APPEND x {3} → 1',
      'FINAL intermediate + go ahead',
    ]);
  });

  it('streams a huge announced literal without buffering it', () => {
    const framer = new ImapFramer(4096);
    framer.push(Buffer.from('* OK hi\r\n* 1 FETCH (BODY[] {999999999999}\r\n'));
    const lines = framer.push(Buffer.alloc(100_000, 0x61));
    expect(lines.every((line) => line.literal && !line.final)).toBe(true);
    expect(framer.pendingBytes()).toBeLessThanOrEqual(4096);
  });
});

describe('POP3', () => {
  it('reads dot-terminated lists only after the commands that have them', () => {
    const lines = sameInAnyChunking(() => new Pop3Framer(), [
      { recv: '+OK ready\r\n' },
      { sent: 'CAPA' },
      { recv: '+OK\r\nSTLS\r\nSASL PLAIN\r\n.\r\n' },
      { sent: 'LIST 1' },
      { recv: '+OK 1 100\r\n' },
      { sent: 'RETR 9' },
      { recv: '-ERR no such message\r\n' },
    ]);
    expect(lines).toEqual([
      'FINAL ok +OK ready',
      'sent CAPA → 1',
      'line ok +OK',
      'line info STLS',
      'line info SASL PLAIN',
      'FINAL info .',
      'sent LIST 1 → 1',
      'FINAL ok +OK 1 100',
      'sent RETR 9 → 1',
      'FINAL permfail -ERR no such message',
    ]);
  });
});

describe('NNTP', () => {
  it('reads a block only when the command has one and its code says so; ".." is no end', () => {
    const lines = sameInAnyChunking(() => new NntpFramer(), [
      { recv: '200 news ready\r\n' },
      { sent: 'CAPABILITIES' },
      { recv: '101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n' },
      { sent: 'GROUP misc.test' },
      { recv: '211 3 1 3 misc.test\r\n' },
      { sent: 'LISTGROUP misc.test' },
      { recv: '211 3 1 3 misc.test list follows\r\n1\r\n3\r\n.\r\n' },
      { sent: 'ARTICLE 2' },
      { recv: '423 No article with that number\r\n' },
      { sent: 'BODY 3' },
      { recv: '222 3 <a@b> body\r\n..\r\n..not the end\r\n200 not a status\r\n.\r\n' },
      { sent: 'XHDR Subject 1-3' },
      { recv: '221 Subject fields follow\r\n1 hi\r\n.\r\n' },
      { sent: 'QUIT' },
      { recv: '205 bye\r\n' },
    ]);
    expect(lines).toEqual([
      'FINAL ok 200 news ready',
      'sent CAPABILITIES → 1',
      'line info 101 Capability list:',
      'line info VERSION 2',
      'line info STARTTLS',
      'FINAL info .',
      'sent GROUP misc.test → 1',
      'FINAL ok 211 3 1 3 misc.test',
      'sent LISTGROUP misc.test → 1',
      'line ok 211 3 1 3 misc.test list follows',
      'line info 1',
      'line info 3',
      'FINAL info .',
      'sent ARTICLE 2 → 1',
      'FINAL tempfail 423 No article with that number',
      'sent BODY 3 → 1',
      'line ok 222 3 <a@b> body',
      'line info ..',
      'line info ..not the end',
      'line info 200 not a status',
      'FINAL info .',
      'sent XHDR Subject 1-3 → 1',
      'line ok 221 Subject fields follow',
      'line info 1 hi',
      'FINAL info .',
      'sent QUIT → 1',
      'FINAL bye 205 bye',
    ]);
  });

  it('381 is no continuation (AUTHINFO PASS is a command of its own); 383 and POST\'s 340 are', () => {
    const framer = new NntpFramer(undefined, false);
    const lines = frame(framer, [
      { sent: 'AUTHINFO USER bob' },
      { recv: '381 PASS required\r\n' },
      { sent: 'AUTHINFO SASL PLAIN' },
      { recv: '383 =\r\n' },
      { sent: 'POST' },
      { recv: '340 send article\r\n' },
      { sent: 'Subject: hi' },
      { sent: '' },
      { sent: '.' },
      { recv: '240 article posted\r\n' },
    ], whole);
    expect(lines).toEqual([
      'sent AUTHINFO USER bob → 1',
      'FINAL ok 381 PASS required',
      'sent AUTHINFO SASL PLAIN → 1',
      'FINAL intermediate 383 =',
      'sent POST → 1',
      'FINAL intermediate 340 send article',
      'sent Subject: hi → 0',
      'sent  → 0',
      'sent . → 1',
      'FINAL ok 240 article posted',
    ]);
    expect(framer.inContent()).toBe(false);
  });
});

describe('ManageSieve', () => {
  it('ends responses at OK/NO/BYE and passes literals through', () => {
    const lines = sameInAnyChunking(() => new SieveFramer(), [
      { recv: '"IMPLEMENTATION" "x"\r\n"STARTTLS"\r\nOK "hi"\r\n' },
      { sent: 'GETSCRIPT "a"' },
      { recv: '{9}\r\nOK fake\r\n\r\nOK "got it"\r\n' },
      { sent: 'AUTHENTICATE "PLAIN"' },
      { recv: '"challenge"\r\n' },
    ]);
    expect(lines).toEqual([
      'line info "IMPLEMENTATION" "x"',
      'line info "STARTTLS"',
      'FINAL ok OK "hi"',
      'sent GETSCRIPT "a" → 1',
      'line info {9}',
      'line literal literal OK fake',
      'line info ',
      'FINAL ok OK "got it"',
      'sent AUTHENTICATE "PLAIN" → 1',
      'FINAL intermediate "challenge"',
    ]);
  });
});

describe('LineSplitter', () => {
  it('keeps line endings apart: CRLF, bare LF, and a partial line taken on demand', () => {
    const splitter = new LineSplitter();
    splitter.feed(Buffer.from('a\r\nb\nc\rd'));
    expect(splitter.next()).toMatchObject({ ending: 'crlf', start: true });
    expect(splitter.next()).toMatchObject({ ending: 'lf' });
    expect(splitter.next()).toBeUndefined();
    const partial = splitter.takePartial();
    expect(partial?.bytes.toString()).toBe('c\rd');
    splitter.feed(Buffer.from('e\r\n'));
    expect(splitter.next()).toMatchObject({ start: false, continued: true, ending: 'crlf' });
  });
});

describe('IRC', () => {
  it('the first line stands for the greeting; NOTICEs, PINGs, CAP LS and a 421 for CAP are not final; 670 ends STARTTLS', () => {
    const lines = sameInAnyChunking(() => new IrcFramer(), [
      { sent: 'CAP LS 302' },
      { sent: 'STARTTLS' },
      { recv: ':irc.example.net NOTICE * :*** Looking up your hostname\r\nPING :c00kie\r\n' },
      { recv: ':irc.example.net 421 * CAP :Unknown command\r\n:irc.example.net 020 * :Please wait\r\n' },
      { recv: ':irc.example.net 670 * :STARTTLS successful\r\n' },
    ]);
    expect(lines).toEqual([
      'sent CAP LS 302 → 0',
      'sent STARTTLS → 1',
      'FINAL info :irc.example.net NOTICE * :*** Looking up your hostname',
      'line info PING :c00kie',
      'line permfail :irc.example.net 421 * CAP :Unknown command',
      'line info :irc.example.net 020 * :Please wait',
      'FINAL ok :irc.example.net 670 * :STARTTLS successful',
    ]);
  });

  it('691, a 421 or 451 for STARTTLS and ERROR end STARTTLS; ERROR ends QUIT; with nothing awaited only a STARTTLS answer is final (a stray reply)', () => {
    const ends = (reply: string, command = 'STARTTLS') => {
      const framer = new IrcFramer(undefined, false);
      framer.sent(command);
      return framer.push(Buffer.from(reply)).map((line) => line.final);
    };
    expect(ends(':s 691 * :STARTTLS failed\r\n')).toEqual([true]);
    expect(ends(':s 421 * STARTTLS :Unknown command\r\n')).toEqual([true]);
    expect(ends(':s 421 * starttls :Unknown command\r\n')).toEqual([true]);
    expect(ends('ERROR :Closing link\r\n')).toEqual([true]);
    expect(ends(':s 451 * STARTTLS :You have not registered\r\n')).toEqual([true]);
    expect(ends(':s 451 * CAP :You have not registered\r\n:s 421 * CAP :Unknown command\r\n:s 001 a :hi\r\n')).toEqual([false, false, false]);
    expect(ends(':s 670 * :go\r\n', 'QUIT')).toEqual([false]);
    expect(ends('ERROR :bye\r\n', 'QUIT')).toEqual([true]);
    const idle = new IrcFramer(undefined, false);
    expect(idle.sent('PRIVMSG #c :hi')).toBe(0);
    expect(idle.push(Buffer.from(':s 670 * :go\r\nERROR :x\r\n:s 691 * :no\r\n:s NOTICE * :hi\r\n')).map((line) => line.final)).toEqual([true, false, true, false]);
  });

  it('reads the code after message tags and a long prefix', () => {
    const framer = new IrcFramer(undefined, false);
    framer.sent('STARTTLS');
    const prefix = `:${'a'.repeat(63)}.example.net`;
    const [line] = framer.push(Buffer.from(`@time=2026-01-01T00:00:00.000Z;${'x'.repeat(300)}=1 ${prefix} 670 * :go\r\n`));
    expect(line).toMatchObject({ final: true, tone: 'ok' });
  });
});
