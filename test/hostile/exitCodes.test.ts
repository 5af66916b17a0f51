// Hazard: a wrong exit code or a wait without end. A refused login in a script is exit 12;
// a piped or scripted session whose server goes silent ends within -timeout (exit 5); load
// never counts a message the server did not take, and stops at the first refused login
// (one failed login, not one per connection: fail2ban bans for less).
import { afterAll, describe, expect, it } from 'vitest';
import { fakeServer, type FakeClient, type FakeServer } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';

const servers: FakeServer[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
});

interface Behaviour {
  auth?: 'refuse' | 'accept';
  /** How long AUTH waits for its answer (a login other connections could race). */
  authDelayMs?: number;
  /** What DATA is answered with. */
  data?: string;
  /** Commands after which the server says nothing more. */
  silentAfter?: RegExp;
}

function smtp(behaviour: Behaviour): (client: FakeClient) => Promise<void> {
  return async (client) => {
    client.send('220 mx ESMTP\r\n');
    for (;;) {
      const line = await client.line();
      if (behaviour.silentAfter?.test(line)) return void (await client.line().catch(() => undefined));
      const verb = line.split(' ')[0].toUpperCase();
      if (verb === 'EHLO') client.send('250-mx\r\n250 AUTH PLAIN\r\n');
      else if (verb === 'AUTH') {
        if (behaviour.authDelayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.authDelayMs));
        client.send(behaviour.auth === 'accept' ? '235 2.7.0 ok\r\n' : '535 5.7.8 Error: authentication failed: bad password\r\n');
      } else if (verb === 'DATA') {
        client.send(behaviour.data ?? '354 go\r\n');
        if (behaviour.data) continue;
        while ((await client.line()) !== '.');
        client.send('250 2.0.0 queued\r\n');
      }
      else if (verb === 'QUIT') {
        client.send('221 bye\r\n');
        return client.end();
      } else client.send('250 ok\r\n');
    }
  };
}

async function start(behaviour: Behaviour): Promise<FakeServer> {
  const server = await fakeServer(smtp(behaviour));
  servers.push(server);
  return server;
}

describe('exit codes', () => {
  it('a refused :auth in a script exits 12', async () => {
    const server = await start({ auth: 'refuse' });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'smtp', '--allow-plaintext-auth'], { input: 'EHLO me\n:auth PLAIN bob wrong\nNOOP\n' });
    expect(result.code).toBe(12);
    expect(result.stderr).toMatch(/authentication as bob with PLAIN failed/);
    expect(result.stderr).toMatch(/server said: 535 5\.7\.8/);
    expect(server.received).not.toContain('NOOP');
  });

  it.each([
    ['piped', (port: number) => ({ argv: ['-connect', `localhost:${port}`, '-plain', '-proto', 'smtp', '-timeout', '1'], input: 'EHLO me\nNOOP\n' })],
    ['scripted', (port: number) => ({ argv: ['-connect', `localhost:${port}`, '-plain', '-proto', 'smtp', '-timeout', '1', '--script', '-'], input: 'EHLO me\nEXPECT 250\nNOOP\n' })],
  ])('a %s session whose server goes silent ends within -timeout (exit 5)', async (_name, make) => {
    const server = await start({ silentAfter: /^EHLO/ });
    const { argv, input } = make(server.port);
    const started = Date.now();
    const result = await runMailprobe(argv, { input, holdStdin: false });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/no reply from the server after 1 s/);
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

describe('load', () => {
  it('a 250 to DATA is no accepted message: nothing counted as accepted, exit 2', async () => {
    const server = await start({ data: '250 2.0.0 pretend\r\n' });
    const result = await runMailprobe(['load', `localhost:${server.port}`, '-plain', '-n', '3', '--json']);
    expect(result.code).toBe(2);
    const summary = JSON.parse(result.stdout);
    expect(summary.accepted).toBe(0);
    expect(summary.rejected).toBeGreaterThan(0);
  });

  it.each([1, 2])('stops at the first refused login: one AUTH in all, the reply shown, exit 2 (--workers %i)', async (workers) => {
    // The refusal takes 300 ms: time enough for every other connection (and thread) to try too, were they not held back.
    const server = await start({ auth: 'refuse', authDelayMs: 300 });
    const result = await runMailprobe(['load', `localhost:${server.port}`, '-plain', '--allow-plaintext-auth', '-n', '50', '-c', '4', '--workers', String(workers), '--user', 'bob', '--password', 'wrong']);
    expect(server.received.filter((line) => /^AUTH/.test(line))).toHaveLength(1);
    expect(result.stderr).toMatch(/login as bob with PLAIN was refused/);
    expect(result.stderr).toMatch(/535 5\.7\.8 Error: authentication failed/);
    expect(server.received.filter((line) => /^MAIL/.test(line))).toHaveLength(0);
    // The refused connection still ends with the protocol's goodbye.
    expect(server.received.filter((line) => /^QUIT/.test(line))).toHaveLength(1);
    expect(result.code).toBe(2);
  });

  it.each([1, 2])('a good login lets every connection run (--workers %i)', async (workers) => {
    const server = await start({ auth: 'accept' });
    const result = await runMailprobe(['load', `localhost:${server.port}`, '-plain', '--allow-plaintext-auth', '-n', '8', '-c', '4', '--per-conn', '2', '--workers', String(workers), '--user', 'bob', '--password', 'good', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.accepted).toBe(8);
    // Four lanes, at least four connections (a lane done early may open another while the
    // budget lasts): each of them logged in, once.
    expect(summary.connectionsOpened).toBeGreaterThanOrEqual(4);
    expect(server.received.filter((line) => /^AUTH/.test(line)).length).toBe(summary.connectionsOpened);
  });
});
