// `mailprobe demo`: a first session that needs no server. The built-in sink listens on a
// free loopback port with a certificate made on the spot (trusted for this session only),
// and a normal interactive session connects to it with STARTTLS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { runSession } from '../session/run.js';
import { startImapMailbox } from '../demo/imapMailbox.js';
import { startPop3Mailbox } from '../demo/pop3Mailbox.js';
import { startSink } from '../sink/index.js';
import { Printer } from '../terminal/printer.js';
import { selfSignedCertificate } from '../transport/selfSigned.js';
import { SESSION_FLAGS } from './flags.js';
import type { MainIo } from './io.js';
import { normaliseArgv } from './normalise.js';
import { parseSessionArgs } from './program.js';
import { resolveSession } from './resolve.js';

const SUGGESTIONS = [
  'try, one at a time:',
  '  EHLO demo.example                 the server lists what it offers (AUTH appears only over TLS)',
  '  :auth PLAIN demo secret           log in (the demo server takes any user and password)',
  '  :mail you@example.org them@example.net    a whole message in one go',
  '  MAIL FROM:<you@example.org>       or step by step: MAIL, RCPT, DATA, a line, "."',
  '  :help                             every helper',
  '  QUIT                              or Ctrl-D',
];

const MAILBOX_SUGGESTIONS: Record<'imap' | 'pop3', string[]> = {
  imap: ['try, one at a time:', '  :auth demo secret       log in (any user and password work)', '  SELECT INBOX             mailprobe adds the tag for you', '  FETCH 1 BODY[]           read the one message', '  LOGOUT                   or Ctrl-D'],
  pop3: ['try, one at a time:', '  :auth demo secret       log in (any user and password work)', '  LIST                     one message', '  RETR 1                   read it', '  QUIT                     or Ctrl-D'],
};

const DEMO_HELP = [
  'Usage: mailprobe demo [smtp | imap | pop3] [session flags]',
  '',
  'A first session that needs no server: mailprobe starts its own server on a free loopback',
  'port with a certificate made on the spot, and opens an ordinary session to it with STARTTLS.',
  '',
  '  smtp   the SMTP sink (the default): EHLO, :auth, :mail, MAIL/RCPT/DATA by hand',
  '  imap   a read-only IMAP mailbox with one message: :auth, SELECT INBOX, FETCH 1 BODY[]',
  '  pop3   a read-only POP3 mailbox with one message: :auth, LIST, RETR 1',
  '',
  'Session flags (mailprobe -help) work as in any session, e.g. -quiet or --log FILE.',
  'Exit codes as for a session (mailprobe -help).',
];

export async function demoCommand(argv: string[], io: MainIo, printer: Printer): Promise<number> {
  if (argv.some((arg) => /^--?(help|h)$/.test(arg))) {
    io.stdout.write(DEMO_HELP.join('\n') + '\n');
    return 0;
  }
  const protocol = (argv[0] && !argv[0].startsWith('-') ? argv.shift() : 'smtp')?.toLowerCase();
  if (protocol !== 'smtp' && protocol !== 'imap' && protocol !== 'pop3') {
    throw usageError(`there is no ${protocol} demo`, 'choose smtp (the default), imap or pop3: mailprobe demo imap');
  }
  const { certPem, keyPem } = selfSignedCertificate(['localhost', '127.0.0.1']);
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-demo-'));
  const caFile = join(dir, 'demo-ca.pem');
  writeFileSync(caFile, certPem);
  const server =
    protocol === 'smtp'
      ? await startSink({ host: '127.0.0.1', port: 0, certPem, keyPem, hostname: 'demo.mailprobe.test' }).then((sink) => ({ port: sink.port, close: () => sink.close(0) }))
      : await (protocol === 'imap' ? startImapMailbox : startPop3Mailbox)({ certPem, keyPem });
  try {
    const { flags, positional } = parseSessionArgs(normaliseArgv([...argv, '-connect', `localhost:${server.port}`, '-starttls', protocol, '-CAfile', caFile], SESSION_FLAGS));
    const { options } = resolveSession(flags, positional);
    const session = new Printer(io.stdout, io.stderr, printer.palette, options.quiet);
    const what = protocol === 'smtp' ? 'SMTP sink' : `read-only ${protocol.toUpperCase()} mailbox with one message`;
    session.note(`demo: mailprobe's own ${what} is listening on 127.0.0.1:${server.port}, with a certificate made just now`);
    for (const line of protocol === 'smtp' ? SUGGESTIONS : MAILBOX_SUGGESTIONS[protocol]) session.note(line);
    return await runSession(options, session, io);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
