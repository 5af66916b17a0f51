// mailprobe send through real Postfix submission (STARTTLS required, AUTH via Dovecot),
// delivered by Postfix to Dovecot over LMTP and read back over IMAP part by part: the
// header, the body text, and each attachment's filename, content type and bytes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureMailServers } from '../support/realServers.js';
import { useMailServers } from '../support/mailServers.js';
import { runMailprobe } from '../support/runMailprobe.js';

const availability = ensureMailServers();

/** The literal of `* 1 FETCH (BODY[] {n}` in a session's output, lines joined with CRLF. */
function fetchedMessage(stdout: string): string | undefined {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => /^\* 1 FETCH \(BODY\[\] \{\d+\}$/.test(line));
  if (start < 0) return undefined;
  const size = Number(/\{(\d+)\}$/.exec(lines[start])?.[1]);
  const out: string[] = [];
  let length = 0;
  for (const line of lines.slice(start + 1)) {
    if (length >= size) break;
    out.push(line);
    length += line.length + 2;
  }
  return out.join('\r\n');
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

function parsePart(text: string): Part {
  const blank = text.indexOf('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of text.slice(0, blank).replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: text.slice(blank + 4) };
}

describe.runIf(availability.ok)('send against real Postfix and Dovecot', () => {
  const s = useMailServers();

  it('a message with a header, a body and two attachments arrives intact, part by part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailprobe-send-real-'));
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256))]);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x2e, 0x0a]);
    writeFileSync(join(dir, 'report.pdf'), pdf);
    writeFileSync(join(dir, 'pixel.png'), png);
    const token = `send-real-${Date.now()}`;
    const to = `${s.dovecot.user}@localhost`;
    const sent = await runMailprobe([
      'send', '-s', `localhost:${s.postfix.submission}`, '--tls', '-CAfile', s.pki.ca.cert,
      '-au', s.dovecot.user, '-ap', s.dovecot.password,
      '-t', to, '-f', to, '--header', `Subject: ${token}`, '--body', 'Hello from mailprobe send.\n.leading dot line',
      '--attach', join(dir, 'report.pdf'), '--attach', join(dir, 'pixel.png'), '--suppress-data',
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/^-> STARTTLS$/m);
    expect(sent.stdout).toMatch(/^~> AUTH \S+ \[redacted\]$/m);
    expect(sent.stdout).toMatch(/^<~ 235 2\.7\.0 Authentication successful$/m);
    expect(sent.stdout).toMatch(/^\*\*\* queued as \w+$/m);
    expect(sent.stdout).not.toContain(s.dovecot.password);

    // Postfix hands the message to Dovecot over LMTP; poll IMAP until it is there.
    let message: string | undefined;
    for (let i = 0; i < 50 && !message?.includes(token); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const read = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.imap}`, '-starttls', 'imap', '-CAfile', s.pki.ca.cert, '-quiet'], {
        input: `:auth PLAIN ${s.dovecot.user} ${s.dovecot.password}\nSELECT INBOX\nFETCH 1 (BODY[])\n`,
      });
      message = fetchedMessage(read.stdout);
    }
    expect(message).toBeDefined();
    const top = parsePart(message as string);
    expect(top.headers.get('subject')).toBe(token);
    expect(top.headers.get('to')).toBe(to);
    expect(top.headers.get('message-id')).toMatch(/^<[^>]+@localhost>$/);
    const boundary = /boundary="([^"]+)"/.exec(top.headers.get('content-type') ?? '')?.[1];
    expect(top.headers.get('content-type')).toMatch(/^multipart\/mixed;/);
    const parts = top.body.split(`\r\n--${boundary}`).slice(1, -1).map((piece) => parsePart(piece.slice(piece.indexOf('\r\n') + 2)));
    expect(parts).toHaveLength(3);
    expect(parts[0].headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // The leading dot was stuffed on the way and unstuffed by Postfix.
    expect(parts[0].body).toBe('Hello from mailprobe send.\r\n.leading dot line\r\n');
    expect(parts[1].headers.get('content-type')).toBe('application/pdf; name="report.pdf"');
    expect(parts[1].headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(parts[1].headers.get('content-transfer-encoding')).toBe('base64');
    expect(Buffer.from(parts[1].body, 'base64')).toEqual(pdf);
    expect(parts[2].headers.get('content-type')).toBe('image/png; name="pixel.png"');
    expect(parts[2].headers.get('content-disposition')).toBe('attachment; filename="pixel.png"');
    expect(Buffer.from(parts[2].body, 'base64')).toEqual(png);
  });

  it('--tlsc to the implicit-TLS submissions port, AUTH, --quit-after auth', async () => {
    const result = await runMailprobe(['send', '-s', `localhost:${s.postfix.submissions}`, '--tlsc', '-CAfile', s.pki.ca.cert, '-au', s.dovecot.user, '-t', `${s.dovecot.user}@localhost`, '-q', 'auth'], {
      env: { MAILPROBE_PASSWORD: s.dovecot.password },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<~ 220 /m);
    expect(result.stdout).toMatch(/^<~ 235 2\.7\.0 Authentication successful$/m);
    expect(result.stdout).not.toMatch(/^~> MAIL/m);
    expect(result.stdout).not.toContain(s.dovecot.password);
  });

  it('submission without --tls: Postfix refuses MAIL (530, must issue STARTTLS): exit 23', async () => {
    const result = await runMailprobe(['send', '-s', `localhost:${s.postfix.submission}`, '-t', `${s.dovecot.user}@localhost`, '-f', 'a@localhost']);
    expect(result.code).toBe(23);
    expect(result.stdout).toMatch(/^<- 530 5\.7\.0 Must issue a STARTTLS command first$/m);
    expect(result.stderr).toMatch(/^mailprobe: MAIL failed \(exit 23\)/m);
  });

  it('a wrong password is exit 12 and the password never shows', async () => {
    const result = await runMailprobe(['send', '-s', `localhost:${s.postfix.submission}`, '--tls', '-CAfile', s.pki.ca.cert, '-au', s.dovecot.user, '-ap', 'wrong-pw-xyz', '-t', `${s.dovecot.user}@localhost`]);
    expect(result.code).toBe(12);
    expect(result.stdout).toMatch(/^<~ 535 5\.7\.8 Error: authentication failed/m);
    expect(result.stdout).not.toContain('wrong-pw-xyz');
    expect(result.stderr).toMatch(/^mailprobe: AUTH failed \(exit 12\)/m);
  });

  it('LMTP to Dovecot with two recipients: one final reply each after the dot; an unknown user is exit 24', async () => {
    const user = `${s.dovecot.user}@localhost`;
    const result = await runMailprobe(['send', '-s', `${s.dovecot.host}:${s.dovecot.lmtp}`, '--protocol', 'LMTP', '-t', `${user},${user}`, '-f', user, '-n']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-> LHLO /m);
    expect(result.stdout.match(/^<- 250 2\.0\.0 <[^>]+> \S+ Saved$/gm)).toHaveLength(2);
    const unknown = await runMailprobe(['send', '-s', `${s.dovecot.host}:${s.dovecot.lmtp}`, '--protocol', 'LMTP', '-t', 'nobody-here@localhost', '-f', user]);
    expect(unknown.code).toBe(24);
    expect(unknown.stdout).toMatch(/^<- 550 5\.1\.1 /m);
  });
});
