// mailprobe against real Postfix and Dovecot on loopback high ports, run as a user would
// run it: the upgrade, the certificate verdict with -CAfile, and a login.
import { describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { ensureMailServers } from '../support/realServers.js';
import { useMailServers } from '../support/mailServers.js';
import { runMailprobe } from '../support/runMailprobe.js';

const availability = ensureMailServers();

withRealServers('real Postfix and Dovecot', availability, () => {
  const s = useMailServers();

  const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');

  describe('Postfix', () => {
    it('STARTTLS on the smtp port: upgrade, verified certificate, EHLO again with AUTH', async () => {
      const result = await runMailprobe(['-connect', `localhost:${s.postfix.smtp}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert], {
        input: 'NOOP\nQUIT\n',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^220 .*ESMTP/m);
      expect(result.stdout).toMatch(/^250-STARTTLS$/m);
      expect(result.stdout).toMatch(/^220 2\.0\.0 Ready to start TLS$/m);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.3/);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      // After TLS the EHLO answer no longer offers STARTTLS.
      const afterTls = result.stdout.slice(result.stdout.indexOf('Verdict'));
      expect(afterTls).toMatch(/^250-PIPELINING$/m);
      expect(afterTls).not.toMatch(/^250-STARTTLS$/m);
      expect(afterTls).toMatch(/^250 2\.0\.0 Ok$/m);
      expect(afterTls).toMatch(/^221 2\.0\.0 Bye$/m);
    });

    it('submission: AUTH PLAIN over TLS logs in, and the piped session paces itself (no pipelining errors)', async () => {
      const result = await runMailprobe(
        ['-connect', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-brief'],
        { input: `AUTH PLAIN ${plain(s.dovecot.user, s.dovecot.password)}\nMAIL FROM:<${s.dovecot.user}@localhost>\nRSET\nQUIT\n` },
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
      expect(result.stdout).toMatch(/^250-AUTH PLAIN LOGIN/m);
      expect(result.stdout).toMatch(/^235 2\.7\.0 Authentication successful$/m);
      expect(result.stdout).toMatch(/^250 2\.1\.0 Ok$/m);
      expect(result.stdout).not.toMatch(/improper command pipelining/i);
    });

    it('submission refuses MAIL in cleartext with 530, and mailprobe shows it as sent', async () => {
      const result = await runMailprobe(['-connect', `127.0.0.1:${s.postfix.submission}`, '-plain', '-proto', 'smtp'], {
        input: 'EHLO client.test\nMAIL FROM:<a@b.test>\nQUIT\n',
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^530 5\.7\.0 Must issue a STARTTLS command first$/m);
    });

    it('submissions: implicit TLS chosen with -tls, greeting over TLS', async () => {
      const result = await runMailprobe(['-connect', `localhost:${s.postfix.submissions}`, '-tls', '-proto', 'smtp', '-CAfile', s.pki.ca.cert], {
        input: 'EHLO client.test\nQUIT\n',
      });
      expect(result.code).toBe(0);
      expect(result.stdout.indexOf('Verdict verified')).toBeLessThan(result.stdout.search(/^220 /m));
      expect(result.stdout).toMatch(/^250-AUTH PLAIN LOGIN/m);
    });

    it('without -CAfile the test CA is unknown: reported, and exit 8 with -verify_return_error', async () => {
      const result = await runMailprobe(['-connect', `localhost:${s.postfix.smtp}`, '-starttls', 'smtp', '-verify_return_error']);
      expect(result.code).toBe(8);
      expect(result.stdout).toMatch(/NOT verified:\n {2}- (unknown issuer|the chain ends in a self-signed root)/);
    });

    it('a DATA message piped through to the final dot is queued', async () => {
      const body = Array.from({ length: 200 }, (_, i) => `line ${i} of the test message`).join('\n');
      const result = await runMailprobe(['-connect', `localhost:${s.postfix.smtp}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-quiet'], {
        input: `MAIL FROM:<a@localhost>\nRCPT TO:<${s.dovecot.user}@localhost>\nDATA\nSubject: real test\n\n${body}\n.\nQUIT\n`,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^354 End data with <CR><LF>\.<CR><LF>$/m);
      expect(result.stdout).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$/m);
    });
  });

  describe('ports no table knows: the greeting names the protocol', () => {
    it('Postfix with -plain and no -proto: SMTP recognised, paced, no pipelining complaint', async () => {
      const result = await runMailprobe(['-connect', `127.0.0.1:${s.postfix.smtp}`, '-plain'], { input: 'EHLO client.example\nNOOP\n' });
      expect(result.stdout).toMatch(/the greeting is SMTP's, so mailprobe speaks SMTP/);
      expect(result.stdout).toMatch(/^250 2\.0\.0 Ok$/m);
      expect(result.stdout).not.toMatch(/improper command pipelining/);
      expect(result.stdout).toMatch(/^221 2\.0\.0 Bye$/m);
      expect(result.code).toBe(0);
    });

    it('Dovecot IMAP over implicit TLS with no -proto: tagged commands, LOGOUT at the end', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.imaps}`, '-tls', '-CAfile', s.pki.ca.cert, '-servername', 'localhost'], { input: 'CAPABILITY\n' });
      expect(result.stdout).toMatch(/the greeting is IMAP's/);
      expect(result.stdout).toMatch(/^a1 OK /m);
      expect(result.stdout).toMatch(/^a2 OK /m);
      expect(result.code).toBe(0);
    });

    it('Dovecot POP3 in cleartext with no -proto: a typed PASS is refused (exit 13)', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.pop3}`, '-plain'], { input: `USER ${s.dovecot.user}\nPASS ${s.dovecot.password}\n` });
      expect(result.stdout).toMatch(/the greeting is POP3's/);
      expect(result.code).toBe(13);
      expect(result.stdout + result.stderr).not.toContain(s.dovecot.password);
    });

    it('Dovecot LMTP (its greeting does not say LMTP): after LHLO, one reply per recipient, so a STARTTLS after the message is clean', async () => {
      const to = `${s.dovecot.user}@localhost`;
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.lmtp}`, '-plain', '-CAfile', s.pki.ca.cert, '-servername', 'localhost'], {
        input: `LHLO client.example\nMAIL FROM:<probe@example.org>\nRCPT TO:<${to}>\nRCPT TO:<${to}>\nDATA\nSubject: odd port\n\nhello\n.\nSTARTTLS\nLHLO client.example\nQUIT\n`,
      });
      // Counted as SMTP, the second final reply would answer nothing and the STARTTLS would be
      // stopped as injection (exit 10).
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Verdict verified/);
      const afterDot = result.stdout.slice(result.stdout.indexOf('(message content'));
      expect(afterDot.match(/^250 2\.0\.0 <[^>]+> .*Saved$/gm)).toHaveLength(2);
      expect(afterDot).toMatch(/^221 /m);
    });
  });

  describe('Dovecot', () => {
    it('IMAP STARTTLS: LOGINDISABLED before TLS, AUTH=PLAIN after, and a login', async () => {
      const result = await runMailprobe(
        ['-connect', `${s.dovecot.host}:${s.dovecot.imap}`, '-starttls', 'imap', '-CAfile', s.pki.ca.cert],
        { input: `a LOGIN ${s.dovecot.user} ${s.dovecot.password}\nb SELECT INBOX\n` },
      );
      expect(result.code).toBe(0);
      const before = result.stdout.slice(0, result.stdout.indexOf('Verdict'));
      const after = result.stdout.slice(result.stdout.indexOf('Verdict'));
      expect(before).toMatch(/LOGINDISABLED/);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "127\.0\.0\.2" matches/);
      expect(after).toMatch(/^\* CAPABILITY .*AUTH=PLAIN/m);
      expect(after).not.toMatch(/LOGINDISABLED/);
      expect(after).toMatch(/^a OK .*Logged in/m);
      expect(after).toMatch(/^b OK \[READ-WRITE\] Select completed/m);
      expect(after).toMatch(/^=> a\d+ LOGOUT$/m);
      expect(after).toMatch(/^\* BYE Logging out$/m);
    });

    it('IMAPS (port chosen TLS with -tls) logs in', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.imaps}`, '-tls', '-proto', 'imap', '-CAfile', s.pki.ca.cert], {
        input: `a LOGIN ${s.dovecot.user} ${s.dovecot.password}\n`,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Verdict verified/);
      expect(result.stdout).toMatch(/^a OK .*Logged in/m);
    });

    it('POP3 STLS: upgrade, CAPA again, USER/PASS, STAT', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.pop3}`, '-starttls', 'pop3', '-CAfile', s.pki.ca.cert], {
        input: `USER ${s.dovecot.user}\nPASS ${s.dovecot.password}\nSTAT\n`,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^=> STLS$/m);
      expect(result.stdout).toMatch(/Verdict verified/);
      expect(result.stdout).toMatch(/^\+OK Logged in\.$/m);
      expect(result.stdout).toMatch(/^\+OK \d+ \d+$/m);
      expect(result.stdout).toMatch(/^=> QUIT$/m);
    });

    it('POP3S implicit TLS', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.pop3s}`, '-tls', '-proto', 'pop3', '-CAfile', s.pki.ca.cert, '-brief'], {
        input: 'CAPA\n',
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
      expect(result.stdout).toMatch(/^USER$/m);
    });

    it('ManageSieve STARTTLS: capabilities re-sent after TLS with SASL mechanisms', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.sieve}`, '-starttls', 'sieve', '-CAfile', s.pki.ca.cert], {
        input: '',
      });
      expect(result.code).toBe(0);
      const after = result.stdout.slice(result.stdout.indexOf('Verdict'));
      expect(after).toMatch(/^"SASL" "PLAIN/m);
      expect(after).toMatch(/^=> LOGOUT$/m);
    });

    it('LMTP STARTTLS with LHLO', async () => {
      const result = await runMailprobe(['-connect', `${s.dovecot.host}:${s.dovecot.lmtp}`, '-starttls', 'lmtp', '-CAfile', s.pki.ca.cert], {
        input: '',
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^=> LHLO /m);
      expect(result.stdout).toMatch(/^250 STARTTLS$/m);
      expect(result.stdout).toMatch(/^220 2\.0\.0 Begin TLS negotiation now\.$/m);
      expect(result.stdout).toMatch(/Verdict verified/);
      expect(result.stdout).toMatch(/^=> QUIT$/m);
    });
  });
});
