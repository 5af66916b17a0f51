// The session helpers against real Postfix and Dovecot: every SASL mechanism Dovecot
// offers, a wrong password, and :mail over submission read back over IMAP.
import { describe, expect, it } from 'vitest';
import { ensureMailServers } from '../support/realServers.js';
import { useMailServers } from '../support/mailServers.js';
import { runMailprobe } from '../support/runMailprobe.js';

const availability = ensureMailServers();

describe.runIf(availability.ok)('helpers against real servers', () => {
  const s = useMailServers();

  const imap = (input: string, extra: string[] = []) =>
    runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.imap}`, '-starttls', 'imap', '-CAfile', s.pki.ca.cert, ...extra], { input });
  const submission = (input: string, extra: string[] = []) =>
    runMailprobe(['-connect', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, ...extra], { input });

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256'])('IMAP :auth %s logs in', async (mechanism) => {
    const result = await imap(`:auth ${mechanism} ${s.dovecot.user} ${s.dovecot.password}\nNOOP\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^=> a\\d+ AUTHENTICATE ${mechanism}`, 'm'));
    expect(result.stdout).toMatch(/^a\d+ OK .*Logged in/m);
    expect(result.stdout).toContain(`-- authenticated as ${s.dovecot.user} with ${mechanism}`);
    expect(result.stdout).not.toContain(s.dovecot.password);
    expect(result.stdout).toMatch(/^-> a\d+ NOOP$/m); // typed without a tag, sent with one
  });

  it('IMAP :auth without a mechanism picks the strongest offered (SCRAM-SHA-256) and verifies the server', async () => {
    const result = await imap(`:auth ${s.dovecot.user} ${s.dovecot.password}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`-- authenticated as ${s.dovecot.user} with SCRAM-SHA-256`);
    // The server's challenge was decoded next to the raw line.
    expect(result.stdout).toMatch(/^\+ [A-Za-z0-9+/=]+ {2}→ "r=.*,s=.*,i=\d+"$/m);
  });

  it('POP3 :auth without SASL in CAPA falls back to the mechanisms offered, and a wrong password is shown clearly', async () => {
    const good = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.pop3}`, '-starttls', 'pop3', '-CAfile', s.pki.ca.cert, '-quiet'], {
      input: `:auth PLAIN ${s.dovecot.user} ${s.dovecot.password}\nSTAT\n`,
    });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^\+OK Logged in\.$/m);
    const bad = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.pop3}`, '-starttls', 'pop3', '-CAfile', s.pki.ca.cert, '-quiet'], {
      input: `:auth PLAIN ${s.dovecot.user} wrong-password\n`,
    });
    // A refused :auth in a script is exit 12 (README: exit codes).
    expect(bad.code).toBe(12);
    expect(bad.stdout).toMatch(/^-ERR \[AUTH\] Authentication failed\.$/m);
    expect(bad.stderr).toContain(`authentication as ${s.dovecot.user} with PLAIN failed`);
  });

  it('SMTP submission: :auth PLAIN, a wrong password gives 535, and the password never shows', async () => {
    const good = await submission(`:auth PLAIN ${s.dovecot.user} ${s.dovecot.password}\n`);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^=> AUTH PLAIN \[redacted\]$/m);
    expect(good.stdout).toMatch(/^235 2\.7\.0 Authentication successful$/m);
    const bad = await submission(`:auth LOGIN ${s.dovecot.user} nope\n`);
    expect(bad.stdout).toMatch(/^334 VXNlcm5hbWU6 {2}→ "Username:"$/m);
    expect(bad.stdout).toMatch(/^334 UGFzc3dvcmQ6 {2}→ "Password:"$/m);
    expect(bad.stdout).toMatch(/^535 5\.7\.8 Error: authentication failed/m);
    expect(bad.stdout).not.toContain('nope');
  });

  it(':mail over submission delivers a message that IMAP then reads back', async () => {
    const sent = await submission(`:auth ${s.dovecot.user} ${s.dovecot.password}\n:mail ${s.dovecot.user}@localhost ${s.dovecot.user}@localhost\n`, [
      '--pass-file', '/dev/null',
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const id = /-- delivered: queued as (\w+)/.exec(sent.stdout)?.[1];
    expect(id).toBeDefined();
    // Postfix hands the message to Dovecot over LMTP; poll IMAP until it is there.
    let found = '';
    for (let i = 0; i < 50 && !found.includes('mailprobe test message'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const read = await imap(`:auth PLAIN ${s.dovecot.user} ${s.dovecot.password}\nSELECT INBOX\nFETCH 1:* (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)])\n`);
      found = read.stdout;
    }
    expect(found).toMatch(/^Subject: mailprobe test message /m);
    expect(found).toMatch(/^Message-ID: <[^>]+@localhost>/m);
  });

  it('writes a transcript with marks, TLS arrows and secrets redacted', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const log = join(mkdtempSync(join(tmpdir(), 'mailprobe-log-')), 'session.log');
    const result = await runMailprobe(['-connect', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '--log', log], {
      input: `AUTH PLAIN ${Buffer.from(`\0${s.dovecot.user}\0${s.dovecot.password}`).toString('base64')}\n`,
    });
    expect(result.code).toBe(0);
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z <- 220 /m);
    expect(text).toMatch(/Z -> EHLO /);
    expect(text).toMatch(/Z -> STARTTLS$/m);
    expect(text).toMatch(/Z \*\* Verdict verified/);
    expect(text).toMatch(/Z ~> AUTH PLAIN \[redacted\]$/m);
    expect(text).toMatch(/Z <~ 235 2\.7\.0 Authentication successful$/m);
    expect(text).not.toContain(s.dovecot.password);
    expect(text).not.toContain(Buffer.from(`\0${s.dovecot.user}\0${s.dovecot.password}`).toString('base64'));
  });
});

describe.runIf(availability.ok)('more helpers against real servers', () => {
  const s = useMailServers({ postfix: false });

  it('ManageSieve :auth PLAIN, then LISTSCRIPTS', async () => {
    const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.sieve}`, '-starttls', 'sieve', '-CAfile', s.pki.ca.cert], {
      input: `:auth PLAIN ${s.dovecot.user} ${s.dovecot.password}\nLISTSCRIPTS\n`,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^=> AUTHENTICATE "PLAIN" "\[redacted\]"$/m);
    expect(result.stdout).toMatch(/^OK "Logged in\."$/m);
    expect(result.stdout).toContain(`-- authenticated as ${s.dovecot.user} with PLAIN`);
    expect(result.stdout).toMatch(/^OK "Listscripts completed\."$/m);
  });

  it('IMAP :send appends a generated message to INBOX, and a literal typed by the user waits for "+"', async () => {
    const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.imap}`, '-starttls', 'imap', '-CAfile', s.pki.ca.cert, '-quiet'], {
      input: `:auth ${s.dovecot.user} ${s.dovecot.password}\n:send\nAPPEND INBOX {20}\nSubject: typed one\r\n\nSELECT INBOX\n`,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // -quiet hides the "-- appended" note: the server's two APPENDUIDs (the helper's, the typed one) say it.
    expect(result.stdout.match(/^a\d+ OK \[APPENDUID /gm)).toHaveLength(2);
    expect(result.stdout).toMatch(/^=> a\d+ APPEND INBOX \{\d+\}$/m);
    expect(result.stdout).toMatch(/^-> a\d+ APPEND INBOX \{20\}\n\+ OK\na\d+ OK \[APPENDUID \d+ 2\] Append completed/m);
    expect(result.stdout).toMatch(/^\* [2-9]\d* EXISTS$/m);
  });
});
