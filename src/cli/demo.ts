// `mailprobe demo`: a first session that needs no server. The built-in sink listens on a
// free loopback port with a certificate made on the spot (trusted for this session only),
// and a normal interactive session connects to it with STARTTLS.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { runSession } from '../session/run.js';
import { startSink } from '../sink/index.js';
import { Printer } from '../terminal/printer.js';
import { selfSignedCertificate } from '../transport/selfSigned.js';
import { SESSION_FLAGS } from './flags.js';
import type { MainIo } from './main.js';
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

export async function demoCommand(argv: string[], io: MainIo, printer: Printer): Promise<number> {
  const protocol = (argv[0] && !argv[0].startsWith('-') ? argv.shift() : 'smtp')?.toLowerCase();
  if (protocol !== 'smtp') {
    throw usageError(`mailprobe demo ${protocol} is not available yet`, 'use mailprobe demo smtp');
  }
  const { certPem, keyPem } = selfSignedCertificate(['localhost', '127.0.0.1']);
  const dir = mkdtempSync(join(tmpdir(), 'mailprobe-demo-'));
  const caFile = join(dir, 'demo-ca.pem');
  writeFileSync(caFile, certPem);
  const sink = await startSink({ host: '127.0.0.1', port: 0, certPem, keyPem, hostname: 'demo.mailprobe.test' });
  try {
    const { flags, positional } = parseSessionArgs(normaliseArgv([...argv, '-connect', `localhost:${sink.port}`, '-starttls', 'smtp', '-CAfile', caFile], SESSION_FLAGS));
    const { options } = resolveSession(flags, positional);
    const session = new Printer(io.stdout, io.stderr, printer.palette, options.quiet);
    session.note(`demo: mailprobe's own SMTP sink is listening on 127.0.0.1:${sink.port}, with a certificate made just now`);
    for (const line of SUGGESTIONS) session.note(line);
    return await runSession(options, session, io);
  } finally {
    await sink.close(0);
    rmSync(dir, { recursive: true, force: true });
  }
}
