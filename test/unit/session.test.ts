// The session's pure parts: the IMAP tagger, the redactor, the encoders, helper parsing,
// message content, secrets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crlfContent, dataContent, queueId } from '../../src/protocols/smtp/data.js';
import { describeChallenge } from '../../src/session/annotations.js';
import { parseAuthArgs } from '../../src/session/helpers/auth.js';
import { plainString, unescapeArgument } from '../../src/session/helpers/codec.js';
import { parseHelperLine } from '../../src/session/helpers/index.js';
import { findSecret } from '../../src/client/secrets.js';
import { rfc5322Date, testMessage } from '../../src/protocols/testMessage.js';
import { UserLineState } from '../../src/session/userLines.js';
import { PROTOCOLS } from '../../src/protocols/registry.js';
import { raw } from '../../src/protocols/raw/index.js';
import type { ProtocolName, ProtocolSpec } from '../../src/protocols/types.js';

const spec = (name: ProtocolName): ProtocolSpec => (name === 'raw' ? raw : (PROTOCOLS.get(name) as ProtocolSpec));

const tagger = () => {
  let n = 0;
  return new UserLineState(spec('imap'), { clientName: 'x', serverHost: 'h', nextTag: () => `a${++n}` });
};

describe('IMAP auto-tagging', () => {
  it.each([
    ['SELECT INBOX', 'a1 SELECT INBOX', true],
    ['select inbox', 'a1 select inbox', true],
    ['uid fetch 1:* FLAGS', 'a1 uid fetch 1:* FLAGS', true],
    ['x7 SELECT INBOX', 'x7 SELECT INBOX', false], // already tagged
    ['DONE', 'DONE', false], // ends IDLE: never tagged
  ])('%s → %s', (typed, wire, rewritten) => {
    expect(tagger().translate(typed)).toMatchObject({ wire, rewritten });
  });

  it('a command the user declined to send does not start an exchange', () => {
    const state = new UserLineState(spec('smtp'), { clientName: 'x', serverHost: 'h', nextTag: () => 'a1' });
    state.translate('AUTH PLAIN AGJvYgBzM2NyZXQ=');
    expect(state.translate('NOOP')).toMatchObject({ shown: 'NOOP', credentials: false });
  });

  it('does not tag the data after a continuation (a literal being typed)', () => {
    const state = tagger();
    expect(state.translate('APPEND INBOX {5}').wire).toBe('a1 APPEND INBOX {5}');
    state.replied(true);
    expect(state.translate('FETCH')).toMatchObject({ wire: 'FETCH', rewritten: false });
    state.replied(false);
    expect(state.translate('NOOP').wire).toBe('a2 NOOP');
  });
});

describe('redaction of credentials the user types', () => {
  it.each([
    ['smtp', 'AUTH PLAIN AHVzZXIAcGFzcw==', 'AUTH PLAIN [redacted]', true],
    ['smtp', 'AUTH LOGIN', 'AUTH LOGIN', false],
    ['smtp', 'MAIL FROM:<a@b> AUTH=<a@b>', 'MAIL FROM:<a@b> AUTH=<a@b>', false],
    ['imap', 'a1 LOGIN user secret', 'a1 LOGIN user [redacted]', true],
    ['imap', 'a1 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', 'a1 AUTHENTICATE PLAIN [redacted]', true],
    ['pop3', 'PASS hunter2', 'PASS [redacted]', true],
    ['pop3', 'USER alice', 'USER alice', false],
    ['pop3', 'APOP alice c4c9334bac560ecc979e58001b3e22fb', 'APOP alice [redacted]', true],
    ['sieve', 'AUTHENTICATE "PLAIN" "AHVzZXIAcGFzcw=="', 'AUTHENTICATE "PLAIN" [redacted]', true],
    // IMAP LOGIN with literals: the command line itself already counts as credentials.
    ['imap', 'a1 LOGIN {5+}', 'a1 LOGIN [redacted]', true],
    ['imap', 'a1 LOGIN "bob" "s3cret"', 'a1 LOGIN [redacted]', true],
    // No protocol recognised: every protocol's credential commands are known.
    ['raw', 'a LOGIN user pass', 'a LOGIN user [redacted]', true],
    ['raw', 'PASS hunter2', 'PASS [redacted]', true],
    ['raw', 'AUTH PLAIN AHVzZXIAcGFzcw==', 'AUTH PLAIN [redacted]', true],
    ['raw', 'a1 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', 'a1 AUTHENTICATE PLAIN [redacted]', true],
    ['raw', 'QUIT', 'QUIT', false],
    ['raw', 'OPER admin s3cret', 'OPER admin [redacted]', true],
    ['raw', 'AUTHENTICATE czNjcmV0', 'AUTHENTICATE [redacted]', true],
    ['raw', 'AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', 'AUTHENTICATE PLAIN [redacted]', true],
    ['irc', 'PASS s3cret', 'PASS [redacted]', true],
    ['irc', 'OPER admin s3cret', 'OPER admin [redacted]', true],
    ['irc', 'AUTHENTICATE PLAIN', 'AUTHENTICATE PLAIN', false],
    ['irc', 'AUTHENTICATE SCRAM-SHA-256', 'AUTHENTICATE SCRAM-SHA-256', false],
    ['irc', 'AUTHENTICATE QUJD', 'AUTHENTICATE [redacted]', true],
    ['irc', 'AUTHENTICATE *', 'AUTHENTICATE *', false],
    ['irc', 'PRIVMSG NickServ :IDENTIFY bob s3cret', 'PRIVMSG NickServ :IDENTIFY [redacted]', true],
    ['irc', 'NS IDENTIFY s3cret', 'NS IDENTIFY [redacted]', true],
    ['irc', 'PRIVMSG #chan :hello', 'PRIVMSG #chan :hello', false],
  ] as const)('%s: %s', (protocol, line, shown, credentials) => {
    expect(spec(protocol).typedCredentials(line)).toMatchObject({ shown, credentials });
  });

  it('IMAP LOGIN over literals: every line of the command is secret, the next command is not', () => {
    const state = tagger();
    const first = state.translate('a LOGIN {5+}');
    expect(first).toMatchObject({ credentials: true, continues: true, shown: 'a LOGIN [redacted]' });
    state.sent(first);
    const user = state.translate('alice {6+}');
    expect(user).toMatchObject({ credentials: true, shown: '[redacted]', continues: true });
    state.sent(user);
    const password = state.translate('s3cret');
    expect(password).toMatchObject({ credentials: true, shown: '[redacted]', continues: false });
    state.sent(password);
    state.replied(false);
    expect(state.translate('a2 NOOP')).toMatchObject({ credentials: false, shown: 'a2 NOOP' });
  });

  it('a declined LOGIN over literals drops the rest of the command', () => {
    const state = tagger();
    const first = state.translate('a LOGIN {5+}');
    state.declined(first);
    const user = state.translate('alice {6+}');
    expect(user).toMatchObject({ discard: true, shown: '[redacted]' });
    state.dropped(user);
    const password = state.translate('s3cret');
    expect(password).toMatchObject({ discard: true });
    state.dropped(password);
    const next = state.translate('a2 NOOP');
    expect(next.discard).toBeFalsy();
    expect(next.credentials).toBe(false);
  });

  it('the line typed right after AUTH without an initial response is secret whatever the server answered', () => {
    const state = new UserLineState(spec('smtp'), { clientName: 'x', serverHost: 'h', nextTag: () => 'a1' });
    const auth = state.translate('AUTH PLAIN');
    state.sent(auth);
    state.replied(false); // a hostile 250 instead of 334
    expect(state.translate('AGJvYgBzM2NyZXQ=')).toMatchObject({ credentials: true, shown: '[redacted]' });
  });

  it('the line after AUTH with an initial response is an ordinary command once the server answered', () => {
    const state = new UserLineState(spec('smtp'), { clientName: 'x', serverHost: 'h', nextTag: () => 'a1' });
    const auth = state.translate('AUTH PLAIN AGJvYgBzM2NyZXQ=');
    state.sent(auth);
    state.replied(false);
    expect(state.translate('QUIT')).toMatchObject({ credentials: false, shown: 'QUIT' });
  });

  it('redacts every answer to a challenge until the exchange ends, but not a cancel', () => {
    const state = new UserLineState(spec('smtp'), { clientName: 'x', serverHost: 'h', nextTag: () => 'a1' });
    const auth = state.translate('AUTH LOGIN');
    expect(auth).toMatchObject({ shown: 'AUTH LOGIN', credentials: false, startsSasl: true });
    state.sent(auth);
    state.replied(true);
    const user = state.translate('dXNlcg==');
    expect(user).toMatchObject({ wire: 'dXNlcg==', shown: '[redacted]', credentials: true, rewritten: false });
    state.sent(user);
    state.replied(true);
    const cancel = state.translate('*');
    expect(cancel).toMatchObject({ shown: '*', credentials: false });
    state.sent(cancel);
    state.replied(false);
    expect(state.translate('NOOP')).toMatchObject({ shown: 'NOOP', credentials: false });
  });
});

describe('encoders', () => {
  it('makes the AUTH PLAIN string for any characters', () => {
    expect(plainString('user', 'password')).toBe('AHVzZXIAcGFzc3dvcmQ=');
    // The classic Perl pitfalls: "@" and a digit right after NUL.
    expect(Buffer.from(plainString('me@example.com', '0secret'), 'base64')).toEqual(Buffer.from('\0me@example.com\x000secret'));
    expect(Buffer.from(plainString('jürgen', 'pässwörd'), 'base64')).toEqual(Buffer.from('\0jürgen\0pässwörd', 'utf8'));
  });

  it.each([
    ['\\0user\\0pass', '\0user\0pass'],
    ['a\\tb\\nc\\\\d', 'a\tb\nc\\d'],
    ['\\x41\\xff', 'A\xff'],
    ['trailing\\', 'trailing\\'],
    ['\\q', '\\q'],
  ])('unescapes %s', (text, bytes) => {
    expect(unescapeArgument(text)).toEqual(Buffer.from(bytes, 'latin1'));
  });

  it('describes challenges: text, binary as hex, invalid base64', () => {
    expect(describeChallenge('VXNlcm5hbWU6')).toBe('→ "Username:"');
    expect(describeChallenge('AAEC/w==')).toBe('→ binary: 00 01 02 ff');
    expect(describeChallenge('!!!!')).toBe('→ (not valid base64)');
    expect(describeChallenge('')).toBe('→ (empty challenge)');
  });
});

describe('helper lines', () => {
  it.each([
    [':auth PLAIN bob', { kind: 'helper', args: 'PLAIN bob' }],
    [':HELP', { kind: 'helper', args: '' }],
    [':nosuch x', { kind: 'unknown', name: 'nosuch' }],
    ['::literal colon', { kind: 'verbatim', line: ':literal colon' }],
    ['NOOP', undefined],
  ])('%s', (line, parsed) => {
    const result = parseHelperLine(line);
    if (parsed === undefined) expect(result).toBeUndefined();
    else expect(result).toMatchObject(parsed);
  });

  it.each([
    ['PLAIN bob s3cret', { mechanism: 'PLAIN', user: 'bob', password: 's3cret' }],
    ['scram-sha-256 bob', { mechanism: 'SCRAM-SHA-256', user: 'bob', password: undefined }],
    ['bob pass with spaces', { mechanism: undefined, user: 'bob', password: 'pass with spaces' }],
    ['bob', { mechanism: undefined, user: 'bob', password: undefined }],
  ])(':auth %s', (args, request) => {
    expect(parseAuthArgs(args)).toEqual(Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)));
  });
});

describe('message content', () => {
  it('CRLF-normalises and dot-stuffs for DATA, with a final CRLF', () => {
    expect(dataContent(Buffer.from('a\n.b\r\n..c\rd')).toString()).toBe('a\r\n..b\r\n...c\r\nd\r\n');
    expect(crlfContent(Buffer.from('a\n.b')).toString()).toBe('a\r\n.b');
  });

  it('finds the queue id', () => {
    expect(queueId('250 2.0.0 Ok: queued as 4Zk3mT0Yx1z9')).toBe('4Zk3mT0Yx1z9');
    expect(queueId('250 OK id=1tXyZa-000123-AB')).toBe('1tXyZa-000123-AB');
    expect(queueId('250 ok')).toBeUndefined();
  });

  it('writes a test message with the headers a server checks', () => {
    const date = new Date('2026-11-24T11:42:05Z');
    expect(rfc5322Date(date)).toBe('Tue, 24 Nov 2026 11:42:05 +0000');
    const text = testMessage('a@example.org', ['b@example.net', 'c@example.net'], '[127.0.0.1]', date).toString();
    expect(text).toMatch(/^Date: Tue, 24 Nov 2026 11:42:05 \+0000\r\nFrom: <a@example\.org>\r\nTo: <b@example\.net>, <c@example\.net>\r\n/);
    expect(text).toMatch(/\r\nMessage-ID: <[a-z0-9]+\.[0-9a-f]{12}@example\.org>\r\n/);
    expect(text).toMatch(/\r\nSubject: mailprobe test message 2026-11-24T11:42:05\.000Z\r\n/);
    expect(text).not.toMatch(/[^\r]\n/);
  });
});

describe('secrets', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'mp-secret-')), 'pw');
  writeFileSync(file, 'from file\nsecond line\n');
  it.each([
    ['given', 'typed', {}, undefined, 'typed'],
    ['environment', undefined, { MAILPROBE_PASSWORD: 'from env' }, file, 'from env'],
    ['pass-file', undefined, {}, file, 'from file'],
  ])('takes the %s first', async (_name, given, env, passFile, expected) => {
    await expect(findSecret(given, { env, passFile }, 'Password: ')).resolves.toBe(expected);
  });

  it('asks on the terminal last, and says where to put it when it cannot ask', async () => {
    await expect(findSecret(undefined, { env: {}, prompt: async () => 'asked' }, 'Password: ')).resolves.toBe('asked');
    await expect(findSecret(undefined, { env: {} }, 'Password: ')).rejects.toThrow(/no password or token given/);
  });

  it('gives no secret when none was typed at the prompt (the helper then sends nothing)', async () => {
    await expect(findSecret(undefined, { env: {}, prompt: async () => undefined }, 'Password: ')).resolves.toBeUndefined();
  });
});
