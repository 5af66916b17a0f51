// mailprobe load against its own sink and against real Postfix: exactly N messages
// arrive (the receiver's own count agrees), with STARTTLS and AUTH, and faults by code.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSink, type SinkHandle } from '../../src/sink/index.js';
import { selfSignedCertificate } from '../../src/transport/selfSigned.js';
import { ensureMailServers } from '../support/realServers.js';
import { useMailServers } from '../support/mailServers.js';
import { runMailprobe } from '../support/runMailprobe.js';

describe('load against mailprobe sink', () => {
  let sink: SinkHandle | undefined;
  afterAll(async () => {
    await sink?.close(0);
  });

  it('STARTTLS and AUTH once per connection; the sink counts exactly N', async () => {
    const { certPem, keyPem } = selfSignedCertificate(['localhost', '127.0.0.1']);
    // The sink's certificate is trusted for this run: credentials go only where it verifies.
    const caFile = join(mkdtempSync(join(tmpdir(), 'mp-load-')), 'sink.pem');
    writeFileSync(caFile, certPem);
    sink = await startSink({ host: '127.0.0.1', port: 0, certPem, keyPem, auth: { user: 'loader', password: 'pw' } });
    const result = await runMailprobe(['load', `127.0.0.1:${sink.port}`, '-starttls', 'smtp', '-CAfile', caFile, '-c', '3', '-n', '50', '--per-conn', '7', '--user', 'loader', '--password', 'pw', '--pipelining', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ accepted: 50, tempFailed: 0, rejected: 0, connectionsFailed: 0 });
    expect(summary.latencyMs.tls.count).toBe(summary.connectionsOpened);
    expect(sink.stats.accepted).toBe(50);
    expect(sink.stats.authFailed).toBe(0);
    await sink.close(0);
    sink = undefined;
  });

  it('fault injection is reported by code', async () => {
    sink = await startSink({ host: '127.0.0.1', port: 0, failRate: 1, failCode: 451 });
    const result = await runMailprobe(['load', `127.0.0.1:${sink.port}`, '-plain', '-c', '2', '-n', '12', '--json']);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 0, tempFailed: 12, failureCodes: { '451': 12 } });
    await sink.close(0);
    sink = undefined;
  });

  it('LMTP with BDAT and several recipients: one reply per recipient, and the sink counts each message once', async () => {
    sink = await startSink({ host: '127.0.0.1', port: 0, lmtp: true });
    const result = await runMailprobe(['load', `127.0.0.1:${sink.port}`, '-plain', '--lmtp', '-c', '2', '-n', '10', '--rcpts', '3', '--bdat', '--pipelining', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ accepted: 10, protocol: 'lmtp', dialogue: { bdat: true, pipelining: true } });
    expect(sink.stats.accepted).toBe(10);
    await sink.close(0);
    sink = undefined;
  });

  it('a wrong password stops the run at the first refused login, not a crash', async () => {
    sink = await startSink({ host: '127.0.0.1', port: 0, auth: { user: 'loader', password: 'pw' } });
    const result = await runMailprobe(['load', `127.0.0.1:${sink.port}`, '-plain', '--allow-plaintext-auth', '-c', '3', '-n', '30', '--user', 'loader', '--password', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/login as loader with \S+ was refused, so the run stops/);
    expect(result.stderr).toMatch(/server said: 535/);
    expect(sink.stats.authFailed).toBe(1);
    expect(sink.stats.accepted).toBe(0);
  });
});

const availability = ensureMailServers();

describe.runIf(availability.ok)('load against real Postfix', () => {
  const s = useMailServers();

  it('submission with STARTTLS and AUTH: 20 messages, and Postfix logs exactly 20 of them', async () => {
    const result = await runMailprobe([
      'load', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-c', '2', '-n', '20',
      '--user', s.dovecot.user, '--password', s.dovecot.password, '--from', `${s.dovecot.user}@localhost`, '--to', 'someone@example.net', '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.accepted).toBe(20);
    // Postfix's cleanup logs each message's Message-ID once.
    let logged = 0;
    for (let i = 0; i < 50 && logged < 20; i++) {
      await new Promise((r) => setTimeout(r, 100));
      logged = (readFileSync(s.postfix.logFile, 'utf8').match(/message-id=<[0-9a-f]{8}\.\d+@localhost>/g) ?? []).length;
    }
    expect(logged).toBe(20);
  });

  it('BDAT into Postfix (CHUNKING) and into Dovecot LMTP: every message accepted and logged', async () => {
    const before = (readFileSync(s.postfix.logFile, 'utf8').match(/message-id=<[0-9a-f]{8}\.\d+@bdat\.test>/g) ?? []).length;
    const smtp = await runMailprobe([
      'load', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-n', '10', '--bdat', '--pipelining',
      '--user', s.dovecot.user, '--password', s.dovecot.password, '--from', `${s.dovecot.user}@bdat.test`, '--to', 'someone@example.net', '--json',
    ]);
    expect(smtp.stderr).toBe('');
    expect(JSON.parse(smtp.stdout)).toMatchObject({ accepted: 10, dialogue: { bdatConnections: 1 } });
    let logged = 0;
    for (let i = 0; i < 50 && logged < before + 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      logged = (readFileSync(s.postfix.logFile, 'utf8').match(/message-id=<[0-9a-f]{8}\.\d+@bdat\.test>/g) ?? []).length;
    }
    expect(logged - before).toBe(10);
    const lmtp = await runMailprobe([
      'load', `${s.dovecot.host}:${s.dovecot.lmtp}`, '-plain', '--lmtp', '-n', '5', '--bdat', '--to', `${s.dovecot.user}@localhost`, '--json',
    ]);
    expect(lmtp.stderr).toBe('');
    expect(JSON.parse(lmtp.stdout)).toMatchObject({ accepted: 5, dialogue: { bdatConnections: 1 } });
  });

  it('DATA with each envelope in the same write as the message before (PIPELINING) into Postfix and Dovecot LMTP: every message accepted, each once', async () => {
    const before = (readFileSync(s.postfix.logFile, 'utf8').match(/message-id=<[0-9a-f]{8}\.\d+@ahead\.test>/g) ?? []).length;
    const smtp = await runMailprobe([
      'load', `localhost:${s.postfix.submission}`, '-starttls', 'smtp', '-CAfile', s.pki.ca.cert, '-c', '2', '-n', '16', '--no-bdat',
      '--user', s.dovecot.user, '--password', s.dovecot.password, '--from', `${s.dovecot.user}@ahead.test`, '--to', 'someone@example.net', '--json',
    ]);
    expect(smtp.stderr).toBe('');
    expect(JSON.parse(smtp.stdout)).toMatchObject({ accepted: 16, connectionsFailed: 0, dialogue: { bdatConnections: 0, pipelinedConnections: 2 } });
    let logged = 0;
    for (let i = 0; i < 50 && logged < before + 16; i++) {
      await new Promise((r) => setTimeout(r, 100));
      logged = (readFileSync(s.postfix.logFile, 'utf8').match(/message-id=<[0-9a-f]{8}\.\d+@ahead\.test>/g) ?? []).length;
    }
    expect(logged - before).toBe(16);
    const lmtp = await runMailprobe(['load', `${s.dovecot.host}:${s.dovecot.lmtp}`, '-plain', '--lmtp', '-n', '6', '--no-bdat', '--to', `${s.dovecot.user}@localhost`, '--json']);
    expect(lmtp.stderr).toBe('');
    expect(JSON.parse(lmtp.stdout)).toMatchObject({ accepted: 6, connectionsFailed: 0, dialogue: { bdatConnections: 0, pipelinedConnections: 1 } });
  });
});
