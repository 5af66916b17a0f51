// The message :send and :mail send when no file is given: proper Date, Message-ID,
// From, To and Subject headers, so it passes the checks a real server makes.
import { randomBytes } from 'node:crypto';

/** RFC 5322 §3.3 date-time: "Tue, 24 Nov 2026 11:42:00 +0000". */
export function rfc5322Date(date = new Date()): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export function domainOf(address: string | undefined): string | undefined {
  const at = address?.lastIndexOf('@') ?? -1;
  return address && at >= 0 ? address.slice(at + 1).replace(/>$/, '') || undefined : undefined;
}

export function testMessage(from: string, to: string[], clientName: string, date = new Date()): Buffer {
  const domain = domainOf(from) ?? (clientName.startsWith('[') ? 'localhost' : clientName);
  const id = `${date.getTime().toString(36)}.${randomBytes(6).toString('hex')}@${domain}`;
  const lines = [
    `Date: ${rfc5322Date(date)}`,
    `From: <${from}>`,
    `To: ${to.map((address) => `<${address}>`).join(', ')}`,
    `Subject: mailprobe test message ${date.toISOString()}`,
    `Message-ID: <${id}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 7bit',
    'X-Mailer: mailprobe',
    '',
    'This is a test message sent by mailprobe.',
    `It was sent from ${clientName} at ${date.toISOString()}.`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}
