// Flag translation, host:port parsing and the port → mode table.
import { describe, expect, it } from 'vitest';
import { SESSION_FLAGS } from '../../src/cli/flags.js';
import { normaliseArgv } from '../../src/cli/normalise.js';
import { parseSessionArgs } from '../../src/cli/program.js';
import { resolveSession } from '../../src/cli/resolve.js';
import { parseTarget } from '../../src/cli/target.js';
import { MailprobeError } from '../../src/errors.js';

const resolve = (argv: string[]) => {
  const { flags, positional } = parseSessionArgs(normaliseArgv(argv, SESSION_FLAGS));
  return resolveSession(flags, positional);
};

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MailprobeError);
    expect((error as MailprobeError).exitCode).toBe(2);
    return (error as MailprobeError).message;
  }
  throw new Error('expected a usage error');
}

describe('normaliseArgv', () => {
  it.each([
    [['-connect', 'h:25'], ['--connect', 'h:25']],
    [['--connect', 'h:25'], ['--connect', 'h:25']],
    [['-connect=h:25'], ['--connect', 'h:25']],
    [['-starttls', 'smtp', '-crlf'], ['--starttls', 'smtp', '--crlf']],
    [['-CAfile', 'ca.pem', '--ca-file', 'b.pem'], ['--CAfile', 'ca.pem', '--CAfile', 'b.pem']],
    [['-verify_return_error', '--verify-return-error'], ['--verify_return_error', '--verify_return_error']],
    [['-4', '-6'], ['--ipv4', '--ipv6']],
    [['-tls1_2', '-tls1_3'], ['--tls1_2', '--tls1_3']],
    [['-no_ehlo', '--no-ehlo'], ['--no_ehlo', '--no_ehlo']],
    [['host:25', '-quiet'], ['host:25', '--quiet']],
    // A value that starts with a dash is still a value.
    [['-name', '-odd-'], ['--name', '-odd-']],
  ])('%j → %j', (input, output) => {
    expect(normaliseArgv(input, SESSION_FLAGS)).toEqual(output);
  });

  it.each([
    ['-conect', /^unknown flag -conect \(did you mean -connect\?\)$/],
    ['-startls', /did you mean -starttls\?/],
    ['-CAfle', /did you mean -CAfile\?/],
    ['--verify-return-eror', /did you mean -verify_return_error\?/],
    ['-zzzzzzzz', /^unknown flag -zzzzzzzz$/],
  ])('rejects %s naming the closest flag', (flag, message) => {
    expect(usage(() => normaliseArgv([flag], SESSION_FLAGS))).toMatch(message);
  });

  it('insists on values and refuses values for switches', () => {
    expect(usage(() => normaliseArgv(['-connect'], SESSION_FLAGS))).toMatch(/-connect needs a value/);
    expect(usage(() => normaliseArgv(['-crlf=yes'], SESSION_FLAGS))).toMatch(/-crlf takes no value/);
  });
});

describe('parseTarget', () => {
  it.each([
    ['mail.example.com:587', { host: 'mail.example.com', port: 587 }],
    ['mail.example.com', { host: 'mail.example.com', port: undefined }],
    ['127.0.0.1:25', { host: '127.0.0.1', port: 25 }],
    ['[::1]:2525', { host: '::1', port: 2525 }],
    ['[::1]', { host: '::1', port: undefined }],
    ['::1', { host: '::1', port: undefined }],
    ['mx:submission', { host: 'mx', port: 587 }],
    ['mx:smtps', { host: 'mx', port: 465 }],
    ['mx:submissions', { host: 'mx', port: 465 }],
    ['mx:imaps', { host: 'mx', port: 993 }],
    ['mx:pop3s', { host: 'mx', port: 995 }],
    ['mx:sieve', { host: 'mx', port: 4190 }],
    ['mx:lmtp', { host: 'mx', port: 24 }],
    ['mx:irc', { host: 'mx', port: 6667 }],
    ['mx:ircs', { host: 'mx', port: 6697 }],
    ['mx:nntp', { host: 'mx', port: 119 }],
    ['mx:nntps', { host: 'mx', port: 563 }],
  ])('%s', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it.each([
    ['mx:99999', /out of range/],
    ['mx:smtpx', /not a port number or a known service name/],
    ['2001:db8::1:smtp', /looks like an IPv6 address with a port/],
    ['[::1', /never closes/],
    ['[mx]:25', /not an IPv6 address/],
    ['bad host:25', /not a valid host name/],
    ['mx:', /no port after/],
  ])('rejects %s', (text, message) => {
    expect(usage(() => parseTarget(text))).toMatch(message);
  });
});

describe('mode chosen by the port when no flag chooses', () => {
  it.each([
    [465, 'tls', 'smtp'],
    [993, 'tls', 'imap'],
    [995, 'tls', 'pop3'],
    [25, 'starttls', 'smtp'],
    [587, 'starttls', 'smtp'],
    [143, 'starttls', 'imap'],
    [110, 'starttls', 'pop3'],
    [4190, 'starttls', 'sieve'],
    [24, 'starttls', 'lmtp'],
    [6667, 'starttls', 'irc'],
    [6697, 'tls', 'irc'],
    [119, 'starttls', 'nntp'],
    [563, 'tls', 'nntp'],
    [4433, 'tls', 'raw'],
  ])('port %i → %s %s, and says so', (port, mode, protocol) => {
    const { options, modeNote } = resolve([`mx.test:${port}`]);
    expect(options.mode).toBe(mode);
    expect(options.protocol.name).toBe(protocol);
    expect(modeNote).toMatch(new RegExp(`^port ${port}: `));
  });

  it('flags win over the port, with no note', () => {
    expect(resolve(['-connect', 'mx:465', '-plain'])).toMatchObject({ options: { mode: 'plain' }, modeNote: undefined });
    expect(resolve(['mx:587', '-tls']).options.mode).toBe('tls');
    expect(resolve(['mx:2525', '-starttls', 'smtp']).options).toMatchObject({ mode: 'starttls', port: 2525 });
  });

  it('takes the default port of -starttls PROTO when none is given', () => {
    expect(resolve(['mx', '-starttls', 'imap']).options.port).toBe(143);
    expect(resolve(['mx', '-tls', '-proto', 'pop3']).options.port).toBe(995);
  });

  it('builds the TLS settings from the flags', () => {
    const { options } = resolve([
      '-connect', '[::1]:25', '-servername', 'mx.test', '-tls1_3', '-alpn', 'smtp, h2', '-6', '-lf', '-timeout', '2.5', '-name', 'me.test',
    ]);
    expect(options).toMatchObject({
      host: '::1',
      family: 6,
      lineEnding: '\n',
      timeoutMs: 2500,
      clientName: 'me.test',
      tls: { servername: 'mx.test', versions: { min: 'TLSv1.3', max: 'TLSv1.3' }, alpn: ['smtp', 'h2'] },
    });
  });

  it.each([
    [['mx:25', '-starttls', 'smtp', '-tls'], /-starttls and -tls cannot be used together/],
    [['mx:25', '-tls1_2', '-tls1_3'], /cannot be used together/],
    [['mx:25', '-servername', 'a', '-noservername'], /cannot be used together/],
    [['mx:25', '-starttls', 'gopher'], /unknown protocol "gopher" for -starttls/],
    [['mx:25', '-starttls', 'gopher'], /unknown protocol "gopher"/],
    [['mx:25', '-timeout', 'soon'], /-timeout soon is not a time mailprobe can wait/],
    [['mx'], /no port given for mx/],
    [[], /no server given/],
    [['-connect', 'a:25', 'b:25'], /two servers given/],
  ])('%j is a usage error', (argv, message) => {
    expect(usage(() => resolve(argv))).toMatch(message);
  });
});
