// Message content for SMTP DATA (RFC 5321 §4.5.2): CRLF line endings, a leading dot
// doubled, a final CRLF, and the lone dot that ends it.

/** CRLF-normalises and dot-stuffs a message; returns the bytes to send before ".". */
export function dataContent(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/\r?\n|\r/g, '\r\n');
  const withEnd = text.endsWith('\r\n') || text === '' ? text : `${text}\r\n`;
  return Buffer.from(withEnd.replace(/^\./gm, '..'), 'latin1');
}

/** The same message with CRLF endings only (IMAP APPEND literals are not dot-stuffed). */
export function crlfContent(message: Buffer): Buffer {
  const text = message.toString('latin1').replace(/\r?\n|\r/g, '\r\n');
  return Buffer.from(text, 'latin1');
}

/** "250 2.0.0 Ok: queued as 4XyZ1" → "4XyZ1" (Postfix, Exim, Sendmail and most others). */
export function queueId(text: string): string | undefined {
  return /queued as ([A-Za-z0-9._-]+)/i.exec(text)?.[1] ?? /\bid=([A-Za-z0-9._-]+)/i.exec(text)?.[1];
}
