// mailprobe demo: a first session with no server of one's own.
import { describe, expect, it } from 'vitest';
import { runMailprobe } from '../support/runMailprobe.js';

describe('mailprobe demo', () => {
  it('starts the built-in sink with a fresh certificate, upgrades with STARTTLS and verifies it', async () => {
    const result = await runMailprobe(['demo'], { input: 'EHLO demo.example\n:auth PLAIN demo secret\n:mail a@example.org b@example.net\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-- demo: mailprobe's own SMTP sink is listening on 127\.0\.0\.1:\d+/m);
    expect(result.stdout).toMatch(/^-- {3}:auth PLAIN demo secret/m);
    expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
    expect(result.stdout).toMatch(/^235 2\.7\.0 Authentication successful$/m);
    expect(result.stdout).toMatch(/^-- delivered: queued as \w+$/m);
  });

  it('imap: a read-only mailbox with one message, tags added for the user', async () => {
    const result = await runMailprobe(['demo', 'imap'], { input: ':auth demo secret\nSELECT INBOX\nFETCH 1 BODY[]\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.stdout).toMatch(/^-- authenticated as demo with PLAIN$/m);
    expect(result.stdout).toMatch(/^-> a\d+ SELECT INBOX$/m);
    expect(result.stdout).toMatch(/^Subject: Welcome to the mailprobe demo$/m);
    expect(result.stdout).toMatch(/^a\d+ OK fetch completed {2}\(FETCH, \d+ ms\)$/m);
  });

  it('pop3: STLS, login and RETR', async () => {
    const result = await runMailprobe(['demo', 'pop3'], { input: ':auth demo secret\nLIST\nRETR 1\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^=> STLS$/m);
    expect(result.stdout).toMatch(/^\+OK logged in/m);
    expect(result.stdout).toMatch(/^Subject: Welcome to the mailprobe demo$/m);
    expect(result.stdout).toMatch(/^=> QUIT$/m);
  });

  it('an unknown demo is a usage error', async () => {
    const result = await runMailprobe(['demo', 'gopher']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^mailprobe: there is no gopher demo; choose smtp \(the default\), imap or pop3/);
  });
});
