// mailprobe against a real Prosody on loopback high ports: STARTTLS for xmpp (c2s) and
// xmpp-server (s2s) with the verdict "verified", the features over TLS listing SASL
// mechanisms, a SCRAM login, and a host whose features offer no STARTTLS (exit 7).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki, type Pki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { prosodyAvailable, startProsody, type ProsodyInstance } from '../support/servers/prosody.js';

const availability = prosodyAvailable();

withRealServers('real Prosody', availability, () => {
  let pki: Pki;
  let prosody: ProsodyInstance;
  beforeAll(async () => {
    pki = makePki();
    prosody = await startProsody(pki);
    console.log(`Prosody set-up: ${prosody.startMs} ms from spawn to both ports listening`);
  }, 60_000);
  afterAll(async () => {
    await prosody?.stop();
  });

  const upgrade = (port: number, proto: string, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', proto, '-CAfile', pki.ca.cert, '-verify_return_error', '-timeout', '10', ...more];

  describe('Prosody', () => {
    it('-starttls xmpp -xmpphost localhost: <proceed/>, verified, SASL mechanisms in the features over TLS', async () => {
      const result = await runMailprobe(upgrade(prosody.c2s, 'xmpp', '-xmpphost', 'localhost'));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [before, after] = result.stdout.split(/^Verdict .*$/m);
      expect(before).toContain("  <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>");
      expect(before).toContain("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      expect(result.stdout).toMatch(/^Verdict verified: chain to a trusted root, and the name "localhost" matches/m);
      expect(after).toMatch(/^ {2}<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>$/m);
      expect(after).toMatch(/^ {4}<mechanism>SCRAM-SHA-1<\/mechanism>$/m);
      expect(after).not.toContain('xmpp-tls');
    });

    it('-starttls xmpp-server on the s2s port: verified', async () => {
      const result = await runMailprobe(upgrade(prosody.s2s, 'xmpp-server', '-xmpphost', 'localhost', '-brief'));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/xmlns='jabber:server'/);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
    });

    it(':auth SCRAM-SHA-1 over TLS logs in (the server proves itself), the secret never shown', async () => {
      const result = await runMailprobe(upgrade(prosody.c2s, 'xmpp', '-brief'), { input: `:auth SCRAM-SHA-1 ${prosody.user} ${prosody.password}\n` });
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/authenticated as alice with SCRAM-SHA-1/);
      expect(result.stdout).not.toContain(prosody.password);
    });

    it('a host whose features offer no STARTTLS: exit 7, one clear line', async () => {
      const result = await runMailprobe(upgrade(prosody.c2s, 'xmpp', '-xmpphost', prosody.plainHost));
      expect(result.code).toBe(7);
      expect(result.stderr).toMatch(/does not offer STARTTLS in its stream features/);
      expect(result.stdout).toContain("<mechanism>SCRAM-SHA-1</mechanism>");
    });

    it('check --starttls xmpp: STARTTLS and certificate ok, no AUTH before TLS', async () => {
      const result = await runMailprobe(['check', `localhost:${prosody.c2s}`, '--starttls', 'xmpp', '--no-versions', '--CAfile', pki.ca.cert, '--timeout', '10']);
      expect(result.stdout).toMatch(/ok +tls\.starttls/);
      expect(result.stdout).toMatch(/ok +certificate\.hostname/);
      expect(result.stdout).toMatch(/ok +capabilities\.auth_before_tls/);
      expect(result.code).toBe(0);
    });
  });
});
