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

  it('names what is not there yet', async () => {
    const result = await runMailprobe(['demo', 'imap']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/mailprobe demo imap is not available yet; use mailprobe demo smtp/);
  });
});
