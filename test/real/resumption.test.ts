// check --resumption against real Postfix: one server resumes every session offered; two
// Postfix instances behind a round-robin balancer (each with its own ticket keys) resume
// only on the member that issued the session, which the check calls a pool that does not
// share keys; a server that keeps no sessions resumes none.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { constants } from 'node:crypto';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePki, type Pki } from '../support/certs.js';
import { ensureMailServers, startPostfix, type PostfixInstance } from '../support/realServers.js';
import { withRealServers } from '../support/realSuite.js';
import { runMailprobe } from '../support/runMailprobe.js';

/** A TCP balancer on 127.0.0.1 handing connections to `ports` in turn. */
async function roundRobin(ports: number[]): Promise<{ port: number; server: Server }> {
  let next = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: ports[next++ % ports.length] });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

withRealServers('check --resumption', ensureMailServers(), () => {
  let pki: Pki;
  let a: PostfixInstance;
  let b: PostfixInstance;
  let balancer: Server;
  let balancerPort: number;
  let forgetful: TlsServer;
  beforeAll(async () => {
    pki = makePki();
    a = await startPostfix(pki);
    b = await startPostfix(pki);
    ({ server: balancer, port: balancerPort } = await roundRobin([a.submissions, b.submissions]));
    // No tickets, and no session cache to resume from.
    forgetful = createTlsServer({ cert: pki.leaf.certPem, key: pki.leaf.keyPem, secureOptions: constants.SSL_OP_NO_TICKET }, (socket) => {
      socket.on('error', () => {});
      socket.write('220 forgetful ESMTP\r\n');
      socket.on('data', () => socket.end('221 bye\r\n'));
    });
    await new Promise<void>((resolve) => forgetful.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    balancer?.close();
    forgetful?.close();
    await a?.stop();
    await b?.stop();
  });

  const row = async (target: string, extra: string[]) => {
    const result = await runMailprobe(['check', target, '-CAfile', pki.ca.cert, '--no-versions', '--resumption', '--json', ...extra]);
    return JSON.parse(result.stdout).targets[0].checks.find((c: { id: string }) => c.id === 'tls.resumption');
  };

  it.each([['STARTTLS, TLS 1.3', ['--starttls', 'smtp']], ['STARTTLS, TLS 1.2', ['--starttls', 'smtp', '-tls1_2']]])('one Postfix (%s): every session resumed', async (_name, flags) => {
    const found = await row(`localhost:${a.smtp}`, flags);
    expect(found).toMatchObject({ verdict: 'ok', details: { resumed: 4, attempts: 4 } });
    expect(found.summary).toMatch(/^resumes sessions: 4 of 4 connections resumed the session offered \(TLSv1\.[23]\)$/);
  });

  it('two Postfix behind a round-robin balancer: only the issuer resumes, reported as a pool not sharing keys', async () => {
    const found = await row(`localhost:${balancerPort}`, ['--tls', '--proto', 'smtp']);
    expect(found.verdict).toBe('warn');
    expect(found.details.pattern).toEqual([false, true, false, true]);
    expect(found.summary).toMatch(/resumed only 2 of 4 sessions offered .* do not share session ticket keys or a session cache/);
  });

  it('a server that keeps no sessions: none resumed', async () => {
    const found = await row(`localhost:${(forgetful.address() as { port: number }).port}`, ['--tls', '--proto', 'smtp']);
    expect(found.verdict).toBe('warn');
    expect(found.summary).toMatch(/resumed none of 4|gave no session to resume/);
  });
});
