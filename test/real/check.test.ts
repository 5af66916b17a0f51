// `mailprobe check` and `mailprobe cert` against real Postfix and Dovecot: a well-run
// setup, and a badly configured Postfix (open relay, AUTH before TLS).
import { describe, expect, it } from 'vitest';
import { ensureMailServers } from '../support/realServers.js';
import { useMailServers } from '../support/mailServers.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { validateCheckJson } from '../support/checkJson.js';

const availability = ensureMailServers();

describe.runIf(availability.ok)('mailprobe check against real servers', () => {
  const s = useMailServers({ misconfigured: true });

  const line = (verdict: string, id: string, rest: string) => new RegExp(`^ {2}${verdict} +${id.replace(/\./g, '\\.')} +${rest}`, 'm');

  it('submission: login, relay refused, a message delivered; Postfix\'s default TLS 1.0/1.1 is a warning (exit 1)', async () => {
    const result = await runMailprobe([
      'check', `localhost:${s.postfix.submission}`, '--starttls', 'smtp', '--CAfile', s.pki.ca.cert,
      '--user', s.dovecot.user, '--relay-test', 'probe@localhost', 'someone@example.net', '--send', `${s.dovecot.user}@localhost`, `${s.dovecot.user}@localhost`,
    ], { env: { MAILPROBE_PASSWORD: s.dovecot.password } });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(new RegExp(`^localhost:${s.postfix.submission} \\(STARTTLS smtp\\): warn in \\d+ ms$`, 'm'));
    expect(result.stdout).toMatch(line('ok', 'connect', 'connected in [\\d.]+ ms'));
    expect(result.stdout).toMatch(line('ok', 'tls.starttls', 'STARTTLS works: TLSv1\\.3'));
    expect(result.stdout).toMatch(line('ok', 'certificate.chain', 'chain verifies'));
    expect(result.stdout).toMatch(line('ok', 'certificate.expiry', 'expires in (29|30) days'));
    expect(result.stdout).toMatch(line('warn', 'tls.versions', 'accepts TLSv1, TLSv1\\.1, TLSv1\\.2, TLSv1\\.3 \\(TLSv1 and TLSv1\\.1 should be turned off\\)'));
    expect(result.stdout).toMatch(line('ok', 'capabilities.auth_before_tls', 'no AUTH offered before TLS'));
    expect(result.stdout).toMatch(line('ok', 'smtp.relay', 'relay refused at RCPT TO:<someone@example\\.net>: 554 5\\.7\\.1'));
    expect(result.stdout).toMatch(line('ok', 'auth.login', 'logged in as mailprobe with SCRAM-SHA-256'));
    expect(result.stdout).toMatch(line('ok', 'smtp.send', 'delivered: queued as \\w+'));
    expect(result.code).toBe(1);
  });

  it('a wrong password fails the login check (exit 2)', async () => {
    const result = await runMailprobe(['check', `localhost:${s.postfix.submission}`, '--starttls', 'smtp', '--CAfile', s.pki.ca.cert, '--user', s.dovecot.user, '--password', 'wrong', '--no-versions']);
    expect(result.stdout).toMatch(line('fail', 'auth.login', 'login as mailprobe with SCRAM-SHA-256 was refused'));
    expect(result.code).toBe(2);
  });

  it('the misconfigured Postfix: open relay and AUTH before TLS are reported (exit 2)', async () => {
    const result = await runMailprobe(['check', `localhost:${s.badPostfix.smtp}`, '--starttls', 'smtp', '--CAfile', s.pki.ca.cert, '--relay-test', 'probe@localhost', 'victim@example.net', '--no-versions']);
    expect(result.stdout).toMatch(line('fail', 'smtp.relay', 'OPEN RELAY: the server accepted a recipient at victim@example\\.net without authentication'));
    expect(result.stdout).toMatch(line('warn', 'capabilities.auth_before_tls', 'AUTH offered before TLS'));
    expect(result.code).toBe(2);
  });

  it('two targets in parallel, as JSON in the documented shape, in input order', async () => {
    const result = await runMailprobe([
      'check', `localhost:${s.postfix.submissions}`, `localhost:${s.badPostfix.submissions}`, '--tls', '--proto', 'smtp', '--CAfile', s.pki.ca.cert,
      '--json', '--concurrency', '2', '--user', s.dovecot.user, '--password', s.dovecot.password,
    ]);
    const doc = JSON.parse(result.stdout);
    expect(validateCheckJson(doc)).toEqual([]);
    expect(doc.targets.map((t: { target: string; mode: string }) => [t.target, t.mode])).toEqual([
      [`localhost:${s.postfix.submissions}`, 'tls'],
      [`localhost:${s.badPostfix.submissions}`, 'tls'],
    ]);
    for (const target of doc.targets) {
      const byId = Object.fromEntries(target.checks.map((c: { id: string }) => [c.id, c]));
      expect(byId['tls.handshake']).toMatchObject({ verdict: 'ok', details: { protocol: 'TLSv1.3' } });
      expect(byId['tls.versions']).toMatchObject({ verdict: 'warn', details: { TLSv1: true, 'TLSv1.2': true, 'TLSv1.3': true } });
      expect(byId['auth.login']).toMatchObject({ verdict: 'ok', details: { mechanism: 'SCRAM-SHA-256' } });
      expect(target.timings.tlsMs).toBeGreaterThan(0);
      expect(target.timings.greetingMs).toBeGreaterThan(0);
    }
    expect(result.code).toBe(doc.exitCode);
    expect(doc.exitCode).toBe(1);
  });

  it('Dovecot IMAP over STARTTLS: TLS 1.2+ only (ok), CRAM-MD5/SCRAM offered before TLS (warn)', async () => {
    const result = await runMailprobe(['check', `${s.dovecot.host}:${s.dovecot.imap}`, '--starttls', 'imap', '--CAfile', s.pki.ca.cert, '--user', s.dovecot.user, '--password', s.dovecot.password]);
    expect(result.stdout).toMatch(line('ok', 'tls.versions', 'accepts TLSv1\\.2, TLSv1\\.3$'));
    expect(result.stdout).toMatch(line('warn', 'capabilities.auth_before_tls', 'AUTH offered before TLS \\(CRAM-MD5 SCRAM-SHA-256\\)'));
    expect(result.stdout).toMatch(line('ok', 'auth.login', 'logged in as mailprobe with SCRAM-SHA-256'));
    expect(result.stdout).toMatch(line('info', 'capabilities.list', '.*IDLE'));
    expect(result.code).toBe(1);
  });

  it('mailprobe cert prints the certificate report, or the PEM chain with --pem', async () => {
    const report = await runMailprobe(['cert', `localhost:${s.postfix.smtp}`, '--starttls', 'smtp', '--CAfile', s.pki.ca.cert]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^Certificate\n {2}subject {6}CN=localhost$/m);
    expect(report.stdout).toMatch(/Verdict verified/);
    const pem = await runMailprobe(['cert', `localhost:${s.postfix.smtp}`, '--starttls', 'smtp', '--CAfile', s.pki.ca.cert, '--pem']);
    expect(pem.stdout.startsWith(s.pki.leaf.certPem.trim().split('\n')[0])).toBe(true);
    expect(pem.stdout).toContain(s.pki.leaf.certPem.trim().split('\n')[2]);
    const strict = await runMailprobe(['cert', `localhost:${s.postfix.smtp}`, '--starttls', 'smtp', '--verify-return-error']);
    expect(strict.code).toBe(8);
  });
});
