// s_client's TLS options against real Postfix, each flag's s_client spelling run by both
// tools against the same server: the version and key exchange agreed on, sessions saved by
// one and resumed by the other (TLS 1.2 and 1.3 tickets), -reconnect, and a client
// certificate that Postfix (smtpd_tls_ask_ccert) logs as received and trusted.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from '../support/certs.js';
import { makeClientCertificates, type ClientCertificates } from '../support/clientCerts.js';
import { ensureMailServers, startPostfix, type PostfixInstance } from '../support/realServers.js';
import { withRealServers } from '../support/realSuite.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { endInput } from '../support/childInput.js';

/**
 * openssl s_client, QUIT after `waitMs`: a TLS 1.3 ticket follows the handshake, and an
 * s_client whose input ends at once exits before it arrives (and writes no -sess_out).
 */
function sClient(args: string[], waitMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', ['s_client', ...args], { timeout: 20_000 }, (_e, stdout, stderr) => resolve(stdout + stderr));
    setTimeout(() => endInput(child, 'QUIT\r\n'), waitMs);
  });
}

withRealServers('TLS options against real Postfix, beside openssl s_client', ensureMailServers(), () => {
  let pki: Pki;
  let postfix: PostfixInstance;
  let dir: string;
  let certs: ClientCertificates;
  beforeAll(async () => {
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'mailprobe-tlsopts-real-'));
    certs = makeClientCertificates(pki, dir);
    postfix = await startPostfix(pki, { clientCert: true });
  });
  afterAll(async () => {
    await postfix?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const target = () => ['-connect', `localhost:${postfix.smtp}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert];
  const ours = (flags: string[]) => runMailprobe([...target(), ...flags], { input: '' });

  it.each([
    [['-tls1_2']],
    [['-tls1_3']],
    [['-no_tls1_3']],
    [['-max_protocol', 'TLSv1.2']],
    [['-min_protocol', 'TLSv1.3']],
    [['-groups', 'P-384']],
    [['-curves', 'X25519']],
    [['-tls1_2', '-sigalgs', 'RSA-PSS+SHA256']],
  ])('%j: the same version and key exchange as s_client', async (flags) => {
    const theirs = await sClient([...target(), ...flags, '-brief']);
    const mine = await ours(flags);
    expect(mine.stderr).toBe('');
    const version = /Protocol version: (TLSv1\.[23])/.exec(theirs)?.[1];
    expect(version).toBeDefined();
    expect(mine.stdout).toContain(`protocol     ${version}`);
    // s_client -brief: "Server Temp Key: ECDH, prime256v1, 256 bits" / "X25519, 253 bits".
    const group = /(?:Server|Peer) Temp Key: (?:ECDH, )?([^,\n]+)/.exec(theirs)?.[1];
    const alias: Record<string, string> = { secp384r1: 'P-384', prime256v1: 'P-256' };
    expect(mine.stdout).toMatch(new RegExp(`key exchange .*(${group}|${alias[group ?? ''] ?? group})`));
  });

  it.each([
    // Each: the flags, what s_client's verification says, and what mailprobe's verdict says.
    [['-verify_hostname', 'mail.other.test'], /Verify return code: 62 \(hostname mismatch\)/, /hostname mismatch: the certificate is not for "mail\.other\.test"/],
    [['-verify_hostname', 'localhost'], /Verify return code: 0 \(ok\)/, /Verdict verified/],
    [['-attime', String(Math.floor(Date.now() / 1000) + 400 * 86_400)], /Verify return code: 10 \(certificate has expired\)/, /the certificate had expired at -attime/],
    [['-attime', String(Math.floor(Date.now() / 1000) - 400 * 86_400)], /Verify return code: 9 \(certificate is not yet valid\)/, /the certificate is not yet valid at -attime/],
    [['-verify_depth', '0'], /Verify return code: 0 \(ok\)/, /Verdict verified/],
  ])('%j: the verdict agrees with s_client\'s', async (flags, theirs, mine) => {
    expect(await sClient([...target(), ...flags])).toMatch(theirs);
    const ours = await runMailprobe([...target(), ...flags], { input: '' });
    expect(ours.stdout).toMatch(mine);
  });

  it.each(['-tls1_2', '-tls1_3'])('%s: sessions saved by either tool are resumed by the other; -reconnect resumes five times', async (version) => {
    const ourFile = join(dir, `ours${version}.pem`);
    const theirFile = join(dir, `theirs${version}.pem`);
    expect((await ours([version, '-sess_out', ourFile])).code).toBe(0);
    expect(await sClient([...target(), version, '-sess_in', ourFile])).toMatch(/^Reused, TLSv1\.[23]/m);
    await sClient([...target(), version, '-sess_out', theirFile], 1000);
    const resumed = await ours([version, '-sess_in', theirFile]);
    expect(resumed.stdout).toMatch(/session {6}resumed/);
    const reconnects = await ours([version, '-reconnect']);
    const lines = reconnects.stdout.match(/^-- reconnect \d of 5: .*$/gm) ?? [];
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/: session resumed, TLSv1\.[23]/);
  });

  it('-cert/-key: Postfix asks (smtpd_tls_ask_ccert), receives the certificate and trusts it, as with s_client; without: anonymous', async () => {
    const ccert = ['-connect', `localhost:${postfix.ccert}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert];
    const log = () => readFileSync(postfix.logFile, 'latin1');
    const waitFor = async (pattern: RegExp, from: number) => {
      for (let waited = 0; !pattern.test(log().slice(from)) && waited < 5000; waited += 100) await new Promise((r) => setTimeout(r, 100));
      return log().slice(from);
    };
    let from = log().length;
    const mine = await runMailprobe([...ccert, '-cert', certs.client.cert, '-key', certs.client.key], { input: 'EHLO me\n' });
    expect(mine.stderr).toBe('');
    expect(mine.stdout).toMatch(/client cert {2}asked for, from CN=mailprobe Test CA; sent CN=client\.mailprobe\.test/);
    expect(await waitFor(/Trusted TLS connection established from/, from)).toMatch(/postfix\/ccert\/smtpd\[\d+\]: Trusted TLS connection established from \S+: TLSv1\.3 .* client-signature/);
    from = log().length;
    await sClient([...ccert, '-cert', certs.client.cert, '-key', certs.client.key]);
    expect(await waitFor(/Trusted TLS connection established from/, from)).toMatch(/Trusted TLS connection established/);
    from = log().length;
    await runMailprobe([...ccert, '-cert', certs.stranger.cert, '-key', certs.stranger.key], { input: '' });
    expect(await waitFor(/Untrusted TLS connection established/, from)).toMatch(/Untrusted TLS connection established/);
    from = log().length;
    await runMailprobe(ccert, { input: '' });
    expect(await waitFor(/Anonymous TLS connection established/, from)).toMatch(/Anonymous TLS connection established/);
  });
});
