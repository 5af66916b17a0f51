// XCLIENT and XFORWARD against real Postfix (smtpd_authorized_xclient_hosts and
// _xforward_hosts on one port): :xclient in the session, EHLO repeated, the message logged
// as the client named; send --xclient and swaks' --xclient-addr/--xclient-name; a port that
// does not offer XCLIENT refuses locally (the session) or exits 33 (send, as swaks).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePki, type Pki } from '../support/certs.js';
import { ensureMailServers, startPostfix, type PostfixInstance } from '../support/realServers.js';
import { withRealServers } from '../support/realSuite.js';
import { runMailprobe } from '../support/runMailprobe.js';

withRealServers('XCLIENT and XFORWARD against Postfix', ensureMailServers(), () => {
  let pki: Pki;
  let postfix: PostfixInstance;
  beforeAll(async () => {
    pki = makePki();
    postfix = await startPostfix(pki, { xclient: true });
  });
  afterAll(async () => {
    await postfix?.stop();
  });

  /** Polls Postfix's log (postlogd writes it a moment later) until `pattern` appears. */
  async function logged(pattern: RegExp): Promise<string> {
    for (let waited = 0; waited < 5000; waited += 100) {
      const text = readFileSync(postfix.logFile, 'latin1');
      if (pattern.test(text)) return text;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return readFileSync(postfix.logFile, 'latin1');
  }

  it(':xclient names the client, EHLO follows, and Postfix logs the message as from it; :xforward is answered 250', async () => {
    const result = await runMailprobe(['-connect', `localhost:${postfix.xclient}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert], {
      input: ':xclient ADDR=192.0.2.9 NAME=client.example HELO=client.example\n:mail probe@client.example someone@localhost\n:xforward ADDR=192.0.2.10 NAME=fwd.example\n',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^=> XCLIENT ADDR=192\.0\.2\.9 NAME=client\.example HELO=client\.example\n220 /m);
    expect(result.stdout).toMatch(/^220 [\s\S]*^=> EHLO \S+\n250-/m);
    expect(result.stdout).toMatch(/^=> XFORWARD ADDR=192\.0\.2\.10 NAME=fwd\.example\n250 /m);
    expect(await logged(/client=client\.example\[192\.0\.2\.9\]/)).toMatch(/postfix\/xclient\/smtpd\[\d+\]: \w+: client=client\.example\[192\.0\.2\.9\]/);
  });

  it('where XCLIENT is not offered, or an attribute not listed: one line, nothing sent', async () => {
    const result = await runMailprobe(['-connect', `localhost:${postfix.smtp}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert], { input: ':xclient ADDR=192.0.2.9\n' });
    expect(result.stderr).toMatch(/the server does not offer XCLIENT; Postfix offers it to smtpd_authorized_xclient_hosts only/);
    expect(result.stdout).not.toMatch(/=> XCLIENT/);
    const unknown = await runMailprobe(['-connect', `localhost:${postfix.xclient}`, '-starttls', 'smtp', '-CAfile', pki.ca.cert], { input: ':xclient FOO=bar\n' });
    expect(unknown.stderr).toMatch(/the server's XCLIENT does not take FOO; it lists: NAME ADDR/);
  });

  it('send --xclient and swaks\' --xclient-addr/--xclient-name; exit 33 where XCLIENT is not offered', async () => {
    const common = ['send', '--from', 'probe@x.example', '--to', 'someone@localhost', '--tls', '-CAfile', pki.ca.cert];
    const free = await runMailprobe([...common, '--server', `localhost:${postfix.xclient}`, '--xclient', 'ADDR=192.0.2.21 NAME=free.example']);
    expect(free.stderr).toBe('');
    expect(free.code).toBe(0);
    expect(await logged(/client=free\.example\[192\.0\.2\.21\]/)).toMatch(/client=free\.example\[192\.0\.2\.21\]/);
    const swaks = await runMailprobe([...common, '--server', `localhost:${postfix.xclient}`, '--xclient-addr', '192.0.2.22', '--xclient-name', 'swaks.example']);
    expect(swaks.code).toBe(0);
    expect(await logged(/client=swaks\.example\[192\.0\.2\.22\]/)).toMatch(/client=swaks\.example\[192\.0\.2\.22\]/);
    const refused = await runMailprobe([...common, '--server', `localhost:${postfix.smtp}`, '--xclient-addr', '192.0.2.23']);
    expect(refused.code).toBe(33);
    expect(refused.stderr).toMatch(/XCLIENT failed \(exit 33\): the server does not offer XCLIENT/);
  });
});
