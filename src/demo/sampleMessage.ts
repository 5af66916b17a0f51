// The one message in the demo mailbox.
import { rfc5322Date } from '../protocols/testMessage.js';

export function sampleMessage(): Buffer {
  return Buffer.from(
    [
      `Date: ${rfc5322Date()}`,
      'From: mailprobe demo <demo@mailprobe.test>',
      'To: you@mailprobe.test',
      'Subject: Welcome to the mailprobe demo',
      'Message-ID: <welcome@mailprobe.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'This mailbox is read-only and lives only as long as the demo.',
      'Try FETCH 1 BODY[] (IMAP) or RETR 1 (POP3).',
      '',
    ].join('\r\n'),
    'utf8',
  );
}
