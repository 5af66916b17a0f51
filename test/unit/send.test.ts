// mailprobe send, the pure parts: the MIME message it builds, its flags (short and long,
// swaks' spellings), and where a message goes without --server (a fake resolver: no DNS).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { helpText } from '../../src/cli/help.js';
import { parseSendArgs, sendHelp, sendRequest } from '../../src/cli/send.js';
import { MailprobeError } from '../../src/errors.js';
import { base64Lines, buildMessage, contentTypeOf, type MessageSpec } from '../../src/send/message.js';
import { mailHosts } from '../../src/send/mx.js';
import type * as packet from 'dns-packet';
import { aRecord, fakeDns, mxRecord } from '../support/fakeDns.js';
import { exitCodeAt, stageOfCommand } from '../../src/send/stages.js';

const dir = mkdtempSync(join(tmpdir(), 'mailprobe-send-'));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const base: MessageSpec = { from: 'me@example.org', to: ['you@example.net'], headers: [], attachments: [], date: new Date(Date.UTC(2026, 10, 24, 11, 42)) };
const text = (spec: Partial<MessageSpec>) => buildMessage({ ...base, ...spec }).toString('utf8');
const headerBlock = (message: string) => message.slice(0, message.indexOf('\r\n\r\n'));

/** The parts of a multipart message, split on its boundary. */
function parts(message: string): { headers: string; body: string }[] {
  const boundary = /boundary="([^"]+)"/.exec(message)?.[1] as string;
  const pieces = message.split(`\r\n--${boundary}`);
  return pieces.slice(1, -1).map((piece) => {
    const start = piece.indexOf('\r\n') + 2; // the delimiter's own line end
    const blank = piece.indexOf('\r\n\r\n', start);
    return { headers: piece.slice(start, blank), body: piece.slice(blank + 4) };
  });
}

describe('the message send builds', () => {
  it('has swaks-like default headers, and a --header replaces the one of the same name in place', () => {
    const plain = text({});
    expect(headerBlock(plain).split('\r\n').map((line) => line.split(':')[0])).toEqual([
      'Date', 'To', 'From', 'Subject', 'Message-Id', 'X-Mailer', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding',
    ]);
    expect(plain).toMatch(/^Subject: test Tue, 24 Nov 2026 11:42:00 \+0000\r$/m);
    const replaced = text({ headers: ['subject: hello there', 'X-Test: 1', 'From: Me <me@example.org>'] });
    const lines = headerBlock(replaced).split('\r\n');
    expect(lines[3]).toBe('subject: hello there');
    expect(lines[2]).toBe('From: Me <me@example.org>');
    expect(lines.filter((line) => /^subject:/i.test(line))).toHaveLength(1);
    expect(lines).toContain('X-Test: 1');
  });

  it('refuses a header that is not "Name: value", or that carries a line break', () => {
    expect(() => text({ headers: ['no colon here'] })).toThrow(/not "Name: value"/);
    expect(() => text({ headers: ['Subject: a\r\nBcc: victim@example.com'] })).toThrow(/line break/);
    expect(() => text({ headers: ['Subject: a\nBcc: x'] })).toThrow(/line break/);
  });

  it('takes the body from text, and from @file through the flags', () => {
    expect(text({ body: 'line one\nline two' })).toMatch(/\r\n\r\nline one\r\nline two\r\n$/);
    const path = file('body.txt', 'from a file\nsecond line\n');
    const request = sendRequest(parseSendArgs(['--to', 'a@example.net', '--server', 'localhost', '--body', `@${path}`]));
    expect(request.message.toString()).toMatch(/\r\n\r\nfrom a file\r\nsecond line\r\n$/);
    expect(() => sendRequest(parseSendArgs(['--to', 'a@example.net', '--server', 'localhost', '--body', `@${dir}/missing`]))).toThrow(/cannot read --body/);
  });

  it('marks 8-bit text as 8bit and plain ASCII as 7bit', () => {
    expect(text({ body: 'plain' })).toContain('Content-Transfer-Encoding: 7bit');
    expect(text({ body: 'grüße' })).toContain('Content-Transfer-Encoding: 8bit');
  });

  it('with two attachments: multipart/mixed, the body first, each file base64 with its type and filename', () => {
    const pdf = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const message = text({ body: 'see attached', attachments: [{ name: 'report.PDF', bytes: pdf }, { name: 'pixel.png', bytes: png }] });
    expect(headerBlock(message)).toMatch(/^Content-Type: multipart\/mixed; boundary="=_mailprobe_[0-9a-f]+"$/m);
    expect(headerBlock(message)).not.toMatch(/^Content-Transfer-Encoding/m);
    const [body, first, second] = parts(message);
    expect(body.headers).toContain('Content-Type: text/plain; charset=utf-8');
    expect(body.body).toBe('see attached\r\n');
    expect(first.headers).toBe('Content-Type: application/pdf; name="report.PDF"\r\nContent-Disposition: attachment; filename="report.PDF"\r\nContent-Transfer-Encoding: base64');
    expect(second.headers).toContain('Content-Type: image/png; name="pixel.png"');
    expect(Buffer.from(first.body, 'base64')).toEqual(pdf);
    expect(Buffer.from(second.body, 'base64')).toEqual(png);
    const lines = first.body.split('\r\n').filter(Boolean);
    expect(lines.slice(0, -1).every((line) => line.length === 76)).toBe(true);
    expect(lines.at(-1)!.length).toBeLessThanOrEqual(76);
  });

  it('uses CRLF everywhere: no bare LF and no bare CR', () => {
    const message = text({ body: 'a\nb\rc\r\nd', headers: ['X-A: 1'], attachments: [{ name: 'x.bin', bytes: Buffer.from('\n\r\n\r') }] });
    expect(message).not.toMatch(/[^\r]\n/);
    expect(message).not.toMatch(/\r[^\n]/);
    expect(message.endsWith('\r\n')).toBe(true);
  });

  it('picks a boundary that appears in no part', () => {
    let calls = 0;
    // The first boundary offered is in the body: the builder must not use it.
    const random = () => (++calls === 2 ? 'clash' : `other${calls}`);
    const message = text({ body: 'text with --=_mailprobe_clash inside', attachments: [{ name: 'a.txt', bytes: Buffer.from('x') }], random });
    expect(message).toContain('boundary="=_mailprobe_other3"');
  });

  it('names types from a small table, octet-stream otherwise, and escapes or encodes file names', () => {
    expect(contentTypeOf('a.pdf')).toBe('application/pdf');
    expect(contentTypeOf('a.JPG')).toBe('image/jpeg');
    expect(contentTypeOf('a.tar.gz')).toBe('application/gzip');
    expect(contentTypeOf('noext')).toBe('application/octet-stream');
    expect(contentTypeOf('a.weird')).toBe('application/octet-stream');
    expect(contentTypeOf('.pdf')).toBe('application/octet-stream');
    const message = text({ attachments: [{ name: 'say "hi".txt', bytes: Buffer.from('') }, { name: 'résumé.pdf', bytes: Buffer.from('') }] });
    expect(message).toContain('filename="say \\"hi\\".txt"');
    expect(message).toContain("filename*=utf-8''r%C3%A9sum%C3%A9.pdf");
  });

  it('base64 lines are 76 characters and end in CRLF', () => {
    expect(base64Lines(Buffer.alloc(114))).toBe(`${'A'.repeat(76)}\r\n${'A'.repeat(76)}\r\n`);
    expect(base64Lines(Buffer.alloc(0))).toBe('');
  });
});

describe('send flags', () => {
  const request = (...argv: string[]) => sendRequest(parseSendArgs(argv));

  it.each([
    [['-t', 'a@x.example', '-f', 'me@y.example', '-s', 'mx.example:587'], { to: ['a@x.example'], from: 'me@y.example', server: 'mx.example', port: 587 }],
    [['--to', 'a@x.example', '--from', 'me@y.example', '--server', 'mx.example', '--port', '2525'], { server: 'mx.example', port: 2525 }],
    [['--to', 'a@x.example,b@x.example', '-t', '<c@x.example>'], { to: ['a@x.example', 'b@x.example', 'c@x.example'] }],
    [['-t', 'a@x.example', '-s', '[::1]:25'], { server: '::1', port: 25 }],
    [['-t', 'a@x.example', '--tls'], { mode: 'starttls' }],
    [['-t', 'a@x.example', '-tls'], { mode: 'starttls' }],
    [['-t', 'a@x.example', '--tlsc'], { mode: 'tls' }],
    [['-t', 'a@x.example', '--tls-on-connect'], { mode: 'tls' }],
    [['-t', 'a@x.example', '-tlsc'], { mode: 'tls' }],
    [['-t', 'a@x.example'], { mode: 'plain', greeting: 'EHLO', pipeline: false, suppressData: false }],
    [['-t', 'a@x.example', '--protocol', 'lmtp'], { greeting: 'LHLO' }],
    [['-t', 'a@x.example', '--protocol', 'SMTP'], { greeting: 'HELO' }],
    [['-t', 'a@x.example', '-au', 'bob'], { auth: { user: 'bob', mechanism: undefined } }],
    [['-t', 'a@x.example', '--auth-user', 'bob', '--auth', 'cram-md5'], { auth: { user: 'bob', mechanism: 'CRAM-MD5' } }],
    [['-t', 'a@x.example', '-a', '-au', 'bob'], { auth: { user: 'bob', mechanism: undefined } }],
    [['-t', 'a@x.example', '-au', 'bob', '--auth'], { auth: { user: 'bob', mechanism: undefined } }],
    [['-t', 'a@x.example', '-a', 'PLAIN', '--auth-user=bob'], { auth: { user: 'bob', mechanism: 'PLAIN' } }],
    [['-t', 'a@x.example', '-q', 'RCPT'], { quitAfter: 'rcpt' }],
    [['-t', 'a@x.example', '--quit-after', 'helo'], { quitAfter: 'ehlo' }],
    [['-t', 'a@x.example', '--quit', 'from'], { quitAfter: 'mail' }],
    [['-t', 'a@x.example', '-n', '--pipeline'], { suppressData: true, pipeline: true }],
    [['-t', 'a@x.example', '--suppress-data'], { suppressData: true }],
    [['-t', 'a@x.example', '-f', ''], { from: '' }],
  ])('%j', (argv, expected) => {
    expect(request(...argv)).toMatchObject(expected);
  });

  it('--ehlo, -servername, -CAfile, -timeout, -4 reach the session options', () => {
    const plan = request('-t', 'a@x.example', '--ehlo', 'client.example', '-servername', 'sni.example', '-CAfile', '/dev/null', '-timeout', '3', '-4', '--insecure', '--allow-plaintext-auth');
    const options = plan.session('mx.example', 25);
    expect(options).toMatchObject({ host: 'mx.example', port: 25, clientName: 'client.example', timeoutMs: 3000, family: 4, insecure: true, allowPlaintextAuth: true, mode: 'plain' });
    expect(options.tls).toMatchObject({ servername: 'sni.example', caFile: '/dev/null', host: 'mx.example' });
    expect(request('-t', 'a@x.example', '--tls', '--protocol', 'LMTP').session('h', 24)).toMatchObject({ mode: 'starttls', protocol: { name: 'lmtp' } });
    expect(request('-t', 'a@x.example', '--tlsc').session('h', 465)).toMatchObject({ mode: 'tls', protocol: { name: 'smtp' } });
  });

  it('--header and --attach repeat; --data is sent as it is', () => {
    const a = file('a.csv', 'x,y\n');
    const plan = request('-t', 'a@x.example', '--header', 'Subject: one', '-ah', 'X-Two: 2', '--attach', a, '--attach', `@${a}`);
    const message = plan.message.toString();
    expect(message).toMatch(/^Subject: one\r$/m);
    expect(message).toMatch(/^X-Two: 2\r$/m);
    expect(message.match(/filename="a\.csv"/g)).toHaveLength(2);
    const data = file('whole.eml', 'Subject: as is\n\nbody\n');
    expect(request('-t', 'a@x.example', '-d', data).message.toString()).toBe('Subject: as is\n\nbody\n');
  });

  it.each([
    [['--server', 'mx.example'], /no recipient/],
    [['-t', 'postmaster'], /has no domain/],
    [['-t', 'a b@x.example'], /not an address/],
    [['-t', 'a@x.example\r\nRCPT TO:<b@y>'], /not an address/],
    [['-t', 'a@x.example', '--tls', '--tlsc'], /cannot be used together/],
    [['-t', 'a@x.example', '--protocol', 'SSMTP'], /not one mailprobe send speaks/],
    [['-t', 'a@x.example', '--protocol', 'SMTP', '--tls'], /HELO/],
    [['-t', 'a@x.example', '--auth', 'PLAIN'], /needs a user name/],
    [['-t', 'a@x.example', '-au', 'u', '-a', 'NTLM'], /not a mechanism/],
    [['-t', 'a@x.example', '-q', 'later'], /not a stage/],
    [['-t', 'a@x.example', '-q', 'tls'], /no TLS was asked for/],
    [['-t', 'a@x.example', '-d', '/dev/null', '--header', 'A: b'], /cannot be combined/],
    [['-t', 'a@x.example', '-timeout', 'soon'], /-timeout soon/],
    [['-t', 'a@x.example', '-p', '70000'], /out of range/],
    [['-t', 'a@x.example', '--bogus'], /unknown flag/],
    [['-t', 'a@x.example', 'extra'], /unexpected argument/],
  ])('%j is a usage error', (argv, message) => {
    let error: unknown;
    try {
      request(...argv);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailprobeError);
    expect((error as MailprobeError).exitCode).toBe(2);
    expect((error as MailprobeError).message).toMatch(message);
  });
});

describe('send --help', () => {
  it('lists short and long names, swaks spellings and the exit code of each stage', () => {
    const help = sendHelp();
    for (const names of ['-t, --to', '-f, --from', '-s, --server', '-p, --port', '--tlsc, --tls-on-connect', '-a, --auth', '-au, --auth-user', '-ap, --auth-password', '-ah, --header, --add-header', '-d, --data', '-q, --quit-after, --quit', '-n, --suppress-data', '--ehlo, --helo, --lhlo', '-4, --ipv4', '-h, --help']) {
      expect(help).toContain(`  ${names} `);
    }
    for (const code of ['21 banner', '22 EHLO', '23 MAIL', '24 RCPT', '25 DATA', '26 the message', '13 credentials', '7 --tls']) expect(help).toContain(code);
    expect(helpText()).toMatch(/^ {2}mailprobe send --to ADDRESS /m);
  });
});

describe('where a message goes without --server', () => {
  const servers: Array<() => void> = [];
  afterAll(() => servers.forEach((close) => close()));
  /** A resolver that answers MX, A and AAAA from `records`, as NOERROR with no data otherwise. */
  async function fake(records: { mx?: packet.Answer[]; a?: packet.Answer[]; aaaa?: packet.Answer[]; rcode?: string }) {
    const dns = await fakeDns((q) => ({ rcode: records.rcode, answers: (q.type === 'MX' ? records.mx : q.type === 'A' ? records.a : records.aaaa) ?? [] }));
    servers.push(dns.close);
    return dns;
  }

  it('tries the MX hosts lowest preference first', async () => {
    const dns = await fake({ mx: [mxRecord('example.com', 20, 'b.example.'), mxRecord('example.com', 10, 'a.example'), mxRecord('example.com', 30, 'c.example')] });
    expect(await mailHosts('example.com', dns.resolver)).toEqual(['a.example', 'b.example', 'c.example']);
    expect(dns.queries.map((q) => q.type)).toEqual(['MX']);
  });

  it('with no MX, falls back to the domain when it has an A or AAAA record', async () => {
    expect(await mailHosts('example.com', (await fake({ a: [aRecord('example.com', '192.0.2.1')] })).resolver)).toEqual(['example.com']);
    const aaaa: packet.Answer = { type: 'AAAA', name: 'example.com', data: '2001:db8::1', ttl: 60, class: 'IN' };
    expect(await mailHosts('example.com', (await fake({ aaaa: [aaaa] })).resolver)).toEqual(['example.com']);
  });

  it.each([
    ['NXDOMAIN', { rcode: 'NXDOMAIN' }, /the domain example\.com does not exist \(NXDOMAIN\)/],
    ['no MX and no address', {}, /has no MX and no address/],
    ['a null MX', { mx: [mxRecord('example.com', 0, '.')] }, /null MX \(RFC 7505\)/],
    ['a DNS failure', { rcode: 'SERVFAIL' }, /could not answer for example\.com MX \(SERVFAIL\)/],
  ])('%s is one clear DNS error (exit 3)', async (_, records, message) => {
    const error = await mailHosts('example.com', (await fake(records)).resolver).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MailprobeError);
    expect((error as MailprobeError).code).toBe('DNS');
    expect((error as MailprobeError).exitCode).toBe(3);
    expect((error as MailprobeError).message).toMatch(message);
    expect((error as MailprobeError).hint).toMatch(/--server HOST\[:PORT\]/);
  });
});

describe('send stages', () => {
  it.each([
    ['EHLO x', 'ehlo'], ['LHLO x', 'ehlo'], ['HELO x', 'ehlo'], ['STARTTLS', 'tls'], ['AUTH PLAIN [redacted]', 'auth'],
    ['MAIL FROM:<a@b>', 'mail'], ['RCPT TO:<a@b>', 'rcpt'], ['DATA', 'data'], ['.', 'message'], ['QUIT', 'quit'], ['[redacted]', undefined],
  ])('%s starts stage %s', (line, stage) => expect(stageOfCommand(line)).toBe(stage));

  it('a refused dialogue gives the stage\'s code; errors with a meaning of their own keep theirs', () => {
    expect(exitCodeAt('banner', new MailprobeError('PROTOCOL', 'x'))).toBe(21);
    expect(exitCodeAt('ehlo', new MailprobeError('PROTOCOL', 'x'))).toBe(22);
    expect(exitCodeAt('banner', new MailprobeError('SERVER_CLOSED', 'x', { reply: '421 busy' }))).toBe(21);
    expect(exitCodeAt('rcpt', new MailprobeError('SERVER_CLOSED', 'x'))).toBe(9);
    expect(exitCodeAt('tls', new MailprobeError('STARTTLS_UNAVAILABLE', 'x'))).toBe(7);
    expect(exitCodeAt('auth', new MailprobeError('CREDENTIALS_REFUSED', 'x'))).toBe(13);
    expect(exitCodeAt('mail', new MailprobeError('REPLY_TIMEOUT', 'x'))).toBe(5);
  });
});
