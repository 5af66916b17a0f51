// mailprobe -starttls irc against a real InspIRCd 3 on a loopback high port: the IRCv3
// STARTTLS upgrade with a verified certificate, registration over TLS (the welcome comes
// before mailprobe's QUIT), implicit TLS, and an instance without the starttls module.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRealServers } from '../support/realSuite.js';
import { makePki, type Pki } from '../support/certs.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { inspircdAvailability, startInspircd, type InspircdInstance } from '../support/servers/inspircd.js';
import { endInput, inputOf } from '../support/childInput.js';

const available = inspircdAvailability();

withRealServers('real InspIRCd', available, () => {
  let pki: Pki;
  let irc: InspircdInstance;
  let noStartTls: InspircdInstance;

  beforeAll(async () => {
    pki = makePki();
    // The second instance also wants a PING cookie answered before it welcomes anyone.
    [irc, noStartTls] = await Promise.all([startInspircd(pki), startInspircd(pki, { starttls: false, waitPong: true })]);
    console.log(`InspIRCd set-up (spawn to ready, both ports): ${irc.readyMs} ms; without starttls: ${noStartTls.readyMs} ms`);
  });
  afterAll(async () => {
    await irc?.stop();
    await noStartTls?.stop();
  });

  const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'irc', '-CAfile', pki.ca.cert, '-verify_return_error', ...more];

  describe('InspIRCd', () => {
    it('STARTTLS: CAP LS lists tls, 670, verified certificate, exit 0', async () => {
      const result = await runMailprobe(starttls(irc.port));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^:irc\.mailprobe\.test CAP \* LS :.*\btls\b/m);
      expect(result.stdout).toMatch(/^:irc\.mailprobe\.test 670 \* :STARTTLS successful/m);
      expect(result.stdout).toMatch(/protocol {5}TLSv1\.3/);
      expect(result.stdout).toMatch(/subject {6}CN=localhost/);
      expect(result.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
      expect(result.stdout).toMatch(/^=> CAP END$/m);
    });

    it('piped NICK and USER over TLS: the 001 welcome arrives before mailprobe QUITs', async () => {
      const result = await runMailprobe(starttls(irc.port, '-brief'), { input: 'NICK alice\nUSER alice 0 * :Alice\n' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
      const welcome = result.stdout.search(/^:irc\.mailprobe\.test 001 alice :Welcome to the MailprobeTest IRC Network/m);
      const quit = result.stdout.search(/^=> QUIT$/m);
      expect(welcome).toBeGreaterThan(result.stdout.indexOf('verified'));
      expect(quit).toBeGreaterThan(welcome);
      expect(result.stdout).toMatch(/^ERROR :Closing link: \(alice@127\.0\.0\.1\) \[Client exited\]$/m);
    });

    it('a refused nickname (432) ends the wait for the welcome too', async () => {
      // Nicknames may not start with a digit: 432 at once, and the session goes on to QUIT.
      const result = await runMailprobe(starttls(irc.port, '-brief'), { input: 'NICK 1bad\nUSER bad 0 * :Bad\n' });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^:irc\.mailprobe\.test 432 \* 1bad :Erroneous Nickname$/m);
      expect(result.stdout).toMatch(/^=> QUIT$/m);
    });

    it('implicit TLS port with -tls: verified, registration answered', async () => {
      const result = await runMailprobe(['-connect', `localhost:${irc.tlsPort}`, '-tls', '-proto', 'irc', '-CAfile', pki.ca.cert, '-verify_return_error', '-brief'], {
        input: 'NICK bob\nUSER bob 0 * :Bob\n',
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^TLS TLSv1\.3 .*verified$/m);
      expect(result.stdout).toMatch(/^:irc\.mailprobe\.test 001 bob :Welcome/m);
    });

    it('without the starttls module: CAP LS lists no tls, STARTTLS is not answered — exit 7 at once, one clear line', async () => {
      const started = Date.now();
      const result = await runMailprobe(starttls(noStartTls.port), { input: 'NICK carol\n' });
      expect(result.code).toBe(7);
      expect(result.stdout).toMatch(/^:irc\.mailprobe\.test CAP \* LS :/m);
      expect(result.stdout).not.toMatch(/^-> NICK/m);
      const [first, ...rest] = result.stderr.trimEnd().split('\n');
      expect(first).toBe(
        'mailprobe: the server does not offer STARTTLS (its CAP LS does not list tls), so mailprobe stops; use -tls (port 6697) for implicit TLS, or -plain for a cleartext session',
      );
      expect(rest.every((line) => line.startsWith('   server said: '))).toBe(true);
      // Not a timeout: the server never answers STARTTLS, so the CAP LS answer decided it.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('a PING cookie before the welcome (conn_waitpong) ends the wait: shown, and the piped session goes on', async () => {
      const result = await runMailprobe(['-connect', `localhost:${noStartTls.port}`, '-plain', '-proto', 'irc', '-brief', '-timeout', '20'], {
        input: 'NICK dave\nUSER dave 0 * :Dave\nVERSION\n',
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const out = result.stdout;
      expect(out).toMatch(/^PING :\S+$/m);
      expect(out.search(/^-> VERSION$/m)).toBeGreaterThan(out.search(/^PING :/m));
      expect(out).not.toMatch(/ 001 dave /);
    });

    it('the PING cookie answered by the user: welcomed', async () => {
      // A piped script cannot know the cookie; here stdin stays open and is fed as a person
      // would type: PONG once the PING is shown.
      const { spawn } = await import('node:child_process');
      const { BIN } = await import('../support/runMailprobe.js');
      const child = spawn(process.execPath, [BIN, '-connect', `localhost:${noStartTls.port}`, '-plain', '-proto', 'irc', '-brief', '-timeout', '20'], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      let out = '';
      const welcomed = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no welcome; got:\n${out}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const ping = out.match(/^PING :(\S+)$/m);
          if (ping && !out.includes('-> PONG')) inputOf(child)?.write(`PONG :${ping[1]}\n`);
          if (/ 001 erin :Welcome/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      inputOf(child)?.write('NICK erin\nUSER erin 0 * :Erin\n');
      try {
        await welcomed;
      } finally {
        endInput(child);
        await new Promise((resolve) => child.on('close', resolve));
      }
      expect(out).toMatch(/^:irc\.mailprobe\.test 001 erin :Welcome/m);
    });

    it('check --starttls irc passes its TLS and certificate checks', async () => {
      const result = await runMailprobe(['check', `localhost:${irc.port}`, '--starttls', 'irc', '--no-versions', '--CAfile', pki.ca.cert]);
      expect(result.stdout).toMatch(/ok +tls\.starttls/);
      expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
      expect(result.stdout).toMatch(/ok +certificate\.hostname/);
      expect(result.stdout).not.toMatch(/fail /);
      expect(result.code).toBe(0);
    });

    it('check --tls on the implicit TLS port: no greeting awaited (IRC has none), the certificate checked', async () => {
      const result = await runMailprobe(['check', `localhost:${irc.tlsPort}`, '--tls', '--proto', 'irc', '--no-versions', '--CAfile', pki.ca.cert]);
      // IRC servers need not speak first: no greeting is awaited, and none is checked.
      expect(result.stdout).not.toMatch(/greeting/);
      expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
      expect(result.stdout).not.toMatch(/fail /);
      expect(result.code).toBe(0);
    });

    it('cert --starttls irc: the chain verifies', async () => {
      const result = await runMailprobe(['cert', `localhost:${irc.port}`, '--starttls', 'irc', '--CAfile', pki.ca.cert]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/verified/i);
    });
  });
});
