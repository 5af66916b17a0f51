// The path to real servers through real proxies: Squid (HTTP CONNECT, Basic auth) and Dante
// (SOCKS5, username/password) in front of Postfix and Dovecot; the session, `check`, `load`
// and `send` all take the route, the certificate is checked against the server's name, and
// each proxy flag does what `openssl s_client` does with the same spelling; PROXY headers
// to Postfix and Dovecot, and LMTP over Dovecot's own Unix socket.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMailServers, startDovecot, startPostfix, type DovecotInstance, type PostfixInstance } from '../support/realServers.js';
import { makePki, type Pki } from '../support/certs.js';
import { useMailServers } from '../support/mailServers.js';
import { withRealServers } from '../support/realSuite.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { danteAvailability, startDante, type DanteInstance } from '../support/servers/dante.js';
import { squidAvailability, startSquid, type SquidInstance } from '../support/servers/squid.js';
import { endInput } from '../support/childInput.js';

const mail = ensureMailServers();
const squidOk = squidAvailability();
const danteOk = danteAvailability();
const availability = !mail.ok ? mail : !squidOk.ok ? squidOk : danteOk;

/** openssl s_client with these arguments and "QUIT" on stdin: exit code and output. */
function sClient(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', ...args], { timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
    endInput(child, 'QUIT\r\n');
  });
}

withRealServers('routes through real proxies', availability, () => {
  const s = useMailServers();
  let squid: SquidInstance;
  let dante: DanteInstance;
  let proxied: PostfixInstance;
  beforeAll(async () => {
    squid = await startSquid({ auth: true });
    dante = await startDante({ auth: true });
    proxied = await startPostfix(s.pki, { haproxy: true });
  });
  afterAll(async () => {
    await squid?.stop();
    await dante?.stop();
    await proxied?.stop();
  });

  const viaSquid = (password = squid.password) => ['-proxy', `127.0.0.1:${squid.port}`, '-proxy_user', squid.user, '-proxy_pass', `pass:${password}`];
  const viaDante = () => ['--socks5', `${dante.user}:${dante.password}@127.0.0.1:${dante.port}`];

  it('-proxy with -proxy_user/-proxy_pass: the session and openssl s_client agree, STARTTLS verified against the server\'s name', async () => {
    const target = ['-connect', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-verify_return_error'];
    const ours = await runMailprobe([...target, ...viaSquid()], { input: 'NOOP\n' });
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toMatch(/^220 localhost ESMTP/m);
    expect(ours.stdout).toMatch(/Verdict verified: chain to a trusted root, and the name "localhost" matches/);
    expect(ours.stdout).toMatch(/^250-AUTH PLAIN/m);
    // s_client through a proxy loses a greeting that arrives with the proxy's 200 and then
    // waits (with -starttls): it is compared on the implicit-TLS port, where TLS speaks first.
    const implicit = ['-connect', `localhost:${s.postfix.submissions}`, '-CAfile', s.pki.ca.cert, '-verify_return_error'];
    const theirs = await sClient([...implicit, ...viaSquid()]);
    expect(theirs.out).toMatch(/Verify return code: 0 \(ok\)/);
    expect(theirs.code).toBe(0);
    const ourImplicit = await runMailprobe([...implicit, '-tls', '-proto', 'smtp', ...viaSquid()], { input: '' });
    expect(ourImplicit.code).toBe(0);
    expect(ourImplicit.stdout).toMatch(/Verdict verified/);
    // The tunnels are in Squid's log: both went through it.
    expect(await squid.accessLogWith(new RegExp(`CONNECT localhost:${s.postfix.submission} `))).toContain(`CONNECT localhost:${s.postfix.submission}`);
    const twice = new RegExp(`CONNECT localhost:${s.postfix.submissions}[^]*CONNECT localhost:${s.postfix.submissions}`);
    expect(await squid.accessLogWith(twice)).toMatch(twice);
    // A wrong password: both refused by the proxy.
    const refused = await runMailprobe([...target, ...viaSquid('wrong')]);
    expect(refused.code).toBe(14);
    expect(refused.stderr).toMatch(/refused the credentials of \S+: 407/);
    expect((await sClient([...implicit, ...viaSquid('wrong')])).code).not.toBe(0);
  });

  it('--socks5: the session through Dante, names resolved by the proxy, the certificate still checked', async () => {
    const result = await runMailprobe(['-connect', `localhost:${s.postfix.submissions}`, '-tls', '-proto', 'smtp', '-CAfile', s.pki.ca.cert, '-verify_return_error', ...viaDante()], { input: 'EHLO me\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-- connected to localhost:\d+ via SOCKS5 proxy/m);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.stdout).toMatch(/^250-AUTH PLAIN/m);
  });

  it('check, load and send take the same route', async () => {
    const check = await runMailprobe(['check', `localhost:${s.postfix.submission}`, '--starttls', 'smtp', '-CAfile', s.pki.ca.cert, '--no-versions', '--json', ...viaDante()]);
    expect(check.stderr).toBe('');
    const report = JSON.parse(check.stdout);
    expect(report.targets[0].checks.find((c: { id: string }) => c.id === 'connect').verdict).toBe('ok');
    const tunnelsTo = () => squid.accessLog().match(new RegExp(`CONNECT localhost:${s.postfix.submission}`, 'g'))?.length ?? 0;
    const before = tunnelsTo();
    const load = await runMailprobe([
      'load', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-c', '2', '-n', '6', '--user', s.dovecot.user, '--password', s.dovecot.password,
      '--from', `${s.dovecot.user}@localhost`, '--to', 'someone@example.net', '--json', ...viaSquid(),
    ]);
    expect(load.stderr).toBe('');
    expect(JSON.parse(load.stdout)).toMatchObject({ accepted: 6, connectionsFailed: 0 });
    const send = await runMailprobe(['send', '--tls', '--server', `localhost:${s.postfix.submission}`, '--from', `${s.dovecot.user}@localhost`, '--to', 'someone@example.net', '--auth-user', s.dovecot.user, '--auth-password', s.dovecot.password, '-CAfile', s.pki.ca.cert, ...viaDante()], { env: {} });
    expect(send.stderr).toBe('');
    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(/^\*\*\* Connected to localhost:\d+ via SOCKS5 proxy 127\.0\.0\.1:\d+ as /m);
    // load's connections went through Squid: each one a CONNECT in its log.
    expect(tunnelsTo() - before).toBe(JSON.parse(load.stdout).connectionsOpened);
  });

  it('--haproxy v1 and v2: Postfix behind smtpd_upstream_proxy_protocol takes the client named, STARTTLS after it', async () => {
    for (const [version, source] of [['v1', '192.0.2.7'], ['v2', '192.0.2.8']]) {
      const result = await runMailprobe(['-connect', `localhost:${proxied.haproxy}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-verify_return_error', '--haproxy', version, `${source}:4242`], { input: 'NOOP\n' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^220 localhost ESMTP/m);
      expect(result.stdout).toMatch(/Verdict verified/);
      // postlogd writes the log a moment later.
      const seen = new RegExp(`postfix/haproxy/smtpd\\[\\d+\\]: connect from unknown\\[${source.replace(/\./g, '\\.')}\\]`);
      for (let waited = 0; !seen.test(readFileSync(proxied.logFile, 'utf8')) && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(readFileSync(proxied.logFile, 'utf8')).toMatch(seen);
    }
    // Without the header Postfix reads the EHLO as a bad header and says 421.
    const bare = await runMailprobe(['-connect', `localhost:${proxied.haproxy}`, '-starttls', 'smtp', '-timeout', '10']);
    expect(bare.code).not.toBe(0);
  });
});

withRealServers('Dovecot behind a PROXY header, and over its own Unix socket', ensureMailServers(), () => {
  let pki: Pki;
  let dovecot: DovecotInstance;
  beforeAll(async () => {
    pki = makePki();
    dovecot = await startDovecot(pki, { haproxy: true });
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it('--haproxy v2: Dovecot (haproxy_trusted_networks) takes the client named, and logs it as rip', async () => {
    const result = await runMailprobe(['-connect', `${dovecot.host}:${dovecot.imapHaproxy}`, '-starttls', 'imap', '-CAfile', pki.ca.cert, '--haproxy', 'v2', '192.0.2.44:4444'], { input: 'a1 NOOP\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
    let log = '';
    for (let waited = 0; !/rip=192\.0\.2\.44/.test(log) && waited < 5000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      log = readFileSync(dovecot.logFile, 'utf8');
    }
    expect(log).toMatch(/imap-login: .*rip=192\.0\.2\.44/);
  });

  it('-unix: LMTP over Dovecot\'s Unix socket, a message delivered', async () => {
    const result = await runMailprobe(['-unix', dovecot.lmtpSocket, '-proto', 'lmtp'], { input: `LHLO me\n:mail probe@x.test ${dovecot.user}@localhost\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-- connected to .*lmtp-mailprobe/m);
    expect(result.stdout).toMatch(/^250 2\.0\.0 <mailprobe@localhost> \S+ Saved$|delivered: /m);
  });
});
