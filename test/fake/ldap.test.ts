// LDAP with StartTLS (RFC 4511 §4.14, RFC 4513) against fake servers that speak BER: the
// whole dialogue (StartTLS, TLS, RootDSE read, unbind), responses in 1-byte pieces,
// refusals by result code, injection after the go-ahead and before the request, a Notice
// of Disconnection, malformed BER, -tls and -plain, and check/cert over the same dialogue.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { type FakeClient, fakeServersOfFile, sleep } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';
import { octetString, readHeader, tlv, unsigned } from '../../src/protocols/ldap/ber.js';
import { decodeMessage, NOTICE_OF_DISCONNECTION_OID, OP, STARTTLS_OID, type LdapMessage } from '../../src/protocols/ldap/message.js';

// ---------------------------------------------------------------------------------------
// Server-side BER: what a directory server sends

const message = (id: number, op: Buffer) => tlv(0x30, unsigned(0x02, id), op);
const result = (code: number, diagnostic = '', matchedDN = '') => [unsigned(0x0a, code), octetString(matchedDN), octetString(diagnostic)];

function extendedResp(id: number, code: number, diagnostic = '', name: string | undefined = STARTTLS_OID): Buffer {
  return message(id, tlv(OP.extendedResp, ...result(code, diagnostic), ...(name ? [octetString(name, 0x8a)] : [])));
}
const notice = (code: number, diagnostic: string) => extendedResp(0, code, diagnostic, NOTICE_OF_DISCONNECTION_OID);
const searchResDone = (id: number, code = 0, diagnostic = '') => message(id, tlv(OP.searchResDone, ...result(code, diagnostic)));
function searchResEntry(id: number, dn: string, attributes: Record<string, string[]>): Buffer {
  const list = Object.entries(attributes).map(([type, values]) => tlv(0x30, octetString(type), tlv(0x31, ...values.map((v) => octetString(v)))));
  return message(id, tlv(OP.searchResEntry, octetString(dn), tlv(0x30, ...list)));
}
const ROOT_DSE = {
  namingContexts: ['dc=example,dc=org'],
  supportedLDAPVersion: ['3'],
  supportedSASLMechanisms: ['SCRAM-SHA-256', 'PLAIN'],
  supportedExtension: [STARTTLS_OID],
};
const rootDse = (id: number) => Buffer.concat([searchResEntry(id, '', ROOT_DSE), searchResDone(id)]);

/** Reads the client's LDAPMessages from the socket the fake client has now. */
function messagesOf(client: FakeClient) {
  const socket: Socket = client.socket;
  let buffer = Buffer.alloc(0);
  const queue: LdapMessage[] = [];
  let waiting: ((m: LdapMessage | undefined) => void) | undefined;
  let closed = false;
  const onData = (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      let decoded: LdapMessage;
      try {
        const header = readHeader(buffer);
        if (header === 'incomplete' || buffer.length < header.headerBytes + header.length) break;
        const whole = buffer.subarray(0, header.headerBytes + header.length);
        buffer = buffer.subarray(whole.length);
        decoded = decodeMessage(whole);
      } catch {
        // Not LDAP (a ClientHello after a go-ahead the test did not follow with TLS): the end.
        onClose();
        return;
      }
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(decoded);
      } else queue.push(decoded);
    }
  };
  const onClose = () => {
    closed = true;
    waiting?.(undefined);
  };
  socket.on('data', onData);
  socket.on('close', onClose);
  return {
    /** The next message, or undefined when the client closed. */
    next: (): Promise<LdapMessage | undefined> =>
      new Promise((resolve) => {
        const m = queue.shift();
        if (m || closed) resolve(m);
        else waiting = resolve;
      }),
    /** Stops reading (before the socket is handed to TLS). */
    stop: () => {
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
    },
  };
}

async function expectOp(reader: ReturnType<typeof messagesOf>, tag: number): Promise<LdapMessage> {
  const m = await reader.next();
  if (!m) throw new Error(`client closed, expected op 0x${tag.toString(16)}`);
  if (m.tag !== tag) throw new Error(`expected op 0x${tag.toString(16)}, client sent 0x${m.tag.toString(16)}`);
  return m;
}

/** Reads the StartTLS request and checks it. */
async function startTlsRequest(reader: ReturnType<typeof messagesOf>): Promise<LdapMessage> {
  const m = await expectOp(reader, OP.extendedReq);
  expect(m.id).toBe(1);
  return m;
}

/** After TLS (or without it): the RootDSE search, answered; then the unbind. */
async function rootDseAndUnbind(client: FakeClient, log: LdapMessage[]): Promise<void> {
  const reader = messagesOf(client);
  const search = await expectOp(reader, OP.searchRequest);
  log.push(search);
  client.send(rootDse(search.id));
  const unbind = await reader.next();
  if (unbind) log.push(unbind);
  client.end();
}

const serve = fakeServersOfFile();

const starttls = (port: number, ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', 'ldap', '-CAfile', testPki().ca.cert, '-verify_return_error', '-timeout', '5', ...more];

/** Sends bytes one at a time, each in a write of its own. */
async function dribble(client: FakeClient, bytes: Buffer): Promise<void> {
  client.socket.setNoDelay(true);
  for (const byte of bytes) {
    client.send(Buffer.from([byte]));
    await sleep(1);
  }
}

function expectNoStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/TypeError|RangeError|BerError/);
}

describe('LDAP StartTLS', () => {
  it('StartTLS, success, TLS; the RootDSE read shown one value a line; unbind; exit 0', async () => {
    const log: LdapMessage[] = [];
    const server = await serve(async (client) => {
      const reader = messagesOf(client);
      log.push(await startTlsRequest(reader));
      client.send(extendedResp(1, 0));
      reader.stop();
      await client.upgrade(tlsOf(testPki().leaf));
      await rootDseAndUnbind(client, log);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(log.map((m) => m.op.kind === 'request' && m.op.name)).toEqual(['extendedReq', 'searchRequest', 'unbindRequest']);
    expect(log.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(result.stdout).toMatch(/^=> extendedReq #1 StartTLS \(1\.3\.6\.1\.4\.1\.1466\.20037\)$/m);
    expect(result.stdout).toMatch(/^extendedResp #1 \[StartTLS\] success \(0\)$/m);
    expect(result.stdout).toMatch(/Verdict verified/);
    const afterTls = result.stdout.slice(result.stdout.indexOf('Verdict'));
    expect(afterTls).toMatch(/^=> searchRequest #2 base "" scope baseObject filter \(objectClass=\*\) attributes namingContexts supportedSASLMechanisms supportedLDAPVersion supportedExtension$/m);
    expect(afterTls).toMatch(/^searchResEntry #2 dn: "" \(root DSE\)$/m);
    expect(afterTls).toMatch(/^ {2}namingContexts: dc=example,dc=org$/m);
    expect(afterTls).toMatch(/^ {2}supportedSASLMechanisms: SCRAM-SHA-256\n {2}supportedSASLMechanisms: PLAIN$/m);
    expect(afterTls).toMatch(/^ {2}supportedLDAPVersion: 3$/m);
    expect(afterTls).toMatch(/^searchResDone #2 success \(0\)$/m);
    expect(afterTls).toMatch(/^=> unbindRequest #3$/m);
    // A rendered message is whole: never marked as a line still under way.
    expect(result.stdout).not.toContain('\u2026');
  });

  it('-quiet shows the RootDSE read (it is the session); --quit-after banner and tls end before it, never reading it in cleartext', async () => {
    const log: LdapMessage[] = [];
    const server = await serve(async (client) => {
      const reader = messagesOf(client);
      log.push(await startTlsRequest(reader));
      client.send(extendedResp(1, 0));
      reader.stop();
      await client.upgrade(tlsOf(testPki().leaf));
      await rootDseAndUnbind(client, log);
    });
    const quiet = await runMailprobe(starttls(server.port, '-quiet'));
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).not.toMatch(/extendedResp #1/);
    expect(quiet.stdout).toMatch(/^ {2}namingContexts: dc=example,dc=org$/m);

    const seen: string[] = [];
    const early = await serve(async (client) => {
      const reader = messagesOf(client);
      for (;;) {
        const next = await reader.next().catch(() => undefined);
        if (!next) return;
        seen.push(next.op.kind === 'request' ? String(next.op.name) : 'other');
        if (next.op.kind === 'request' && next.op.name === 'extendedReq') {
          client.send(extendedResp(next.id, 0));
          reader.stop();
          await client.upgrade(tlsOf(testPki().leaf));
          const tls = messagesOf(client);
          for (let m = await tls.next().catch(() => undefined); m; m = await tls.next().catch(() => undefined)) seen.push(m.op.kind === 'request' ? `tls:${String(m.op.name)}` : 'tls:other');
          return;
        }
      }
    });
    const banner = await runMailprobe(starttls(early.port, '--quit-after', 'banner'));
    expect(banner.code).toBe(0);
    const afterTls = await runMailprobe(starttls(early.port, '--quit-after', 'tls'));
    expect(afterTls.code).toBe(0);
    expect(afterTls.stdout).toMatch(/Verdict verified/);
    // Neither run sent a search: banner only an unbind in cleartext, tls the StartTLS and an unbind over TLS.
    expect(seen).not.toContain('searchRequest');
    expect(seen).not.toContain('tls:searchRequest');
    expect(seen).toContain('tls:unbindRequest');
  });

  it('responses in 1-byte writes: the same dialogue, the same result', async () => {
    const server = await serve(async (client) => {
      const reader = messagesOf(client);
      await startTlsRequest(reader);
      // The last byte goes with nothing awaited before the upgrade: a ClientHello that came in
      // meanwhile would be read as LDAP, and the handshake would wait for it forever.
      const go = extendedResp(1, 0);
      await dribble(client, go.subarray(0, -1));
      reader.stop();
      client.send(go.subarray(-1));
      await client.upgrade(tlsOf(testPki().leaf));
      const after = messagesOf(client);
      const search = await expectOp(after, OP.searchRequest);
      await dribble(client, rootDse(search.id));
      await after.next();
      client.end();
    });
    const result = await runMailprobe(starttls(server.port), { timeoutMs: 30_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}namingContexts: dc=example,dc=org$/m);
    expect(result.stdout).toMatch(/^searchResDone #2 success \(0\)$/m);
  });

  describe('refused: exit 7 with the result code by name, and nothing sent after', () => {
    const cases: Array<[number, string, RegExp]> = [
      [2, 'unsupported extended operation', /refused StartTLS: protocolError \(2\) "unsupported extended operation"/],
      [52, 'TLS not configured', /refused StartTLS: unavailable \(52\)/],
      [13, '', /refused StartTLS: confidentialityRequired \(13\)/],
      [1, 'TLS already started', /refused StartTLS: operationsError \(1\)/],
      [53, '', /refused StartTLS: unwillingToPerform \(53\)/],
      [99, '', /refused StartTLS: resultCode 99/],
    ];
    for (const [code, diagnostic, pattern] of cases) {
      it(`${code} ${diagnostic}`.trim(), async () => {
        let after: LdapMessage | undefined;
        const server = await serve(async (client) => {
          const reader = messagesOf(client);
          await startTlsRequest(reader);
          client.send(extendedResp(1, code, diagnostic));
          after = await reader.next();
        });
        const result = await runMailprobe(starttls(server.port));
        expect(result.code).toBe(7);
        expect(result.stderr).toMatch(pattern);
        expect(result.stderr.split('\n')[0]).toMatch(/^mailprobe: the server refused StartTLS/);
        expectNoStackTrace(result.stderr);
        expect(after).toBeUndefined();
      });
    }
  });

  it('closed without an answer (an ldaps port takes the request for a broken ClientHello): exit 9, and the hint says -tls', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.destroy();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/closed the connection instead of answering StartTLS; .*try -tls/);
  });

  it('a success for another extended operation (another responseName) is no go-ahead', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(extendedResp(1, 0, '', '1.3.6.1.4.1.4203.1.11.3'));
      await sleep(500);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/another extended operation/);
  });
});

describe('LDAP StartTLS injection', () => {
  it('bytes after the success, before the handshake, in a later write: exit 10', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(extendedResp(1, 0));
      await sleep(20);
      client.send(searchResEntry(2, '', { namingContexts: ['dc=forged'] }));
      await sleep(1000);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
    expect(result.stdout).not.toMatch(/namingContexts/);
  });

  it('bytes after the success in the same TCP write: exit 10', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(Buffer.concat([extendedResp(1, 0), rootDse(2)]));
      await sleep(1000);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/plaintext after its STARTTLS go-ahead/);
    // The forged entry is evidence, never shown as the server's answer.
    expect(result.stdout).not.toMatch(/namingContexts/);
  });

  it('a success sent before the request arrived, then the real one: exit 10', async () => {
    const server = await serve(async (client) => {
      client.send(extendedResp(1, 0));
      await startTlsRequest(messagesOf(client));
      client.send(extendedResp(1, 0));
      await sleep(1000);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/STARTTLS response injection/);
  });

  it('a response to a request never sent (another messageID), before the StartTLS answer: exit 10', async () => {
    const server = await serve(async (client) => {
      client.send(extendedResp(7, 0));
      await startTlsRequest(messagesOf(client));
      client.send(extendedResp(1, 0));
      await sleep(500);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/a request mailprobe never sent \(messageID 7\) before answering StartTLS/);
    expect(result.stdout).toMatch(/extendedResp #7 \[StartTLS\] success \(0\) \(answers no request mailprobe sent\)/);
  });
});

describe('LDAP: a Notice of Disconnection', () => {
  it('instead of an answer, then the close: shown, exit 9', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(notice(52, 'server shutting down'));
      await sleep(50);
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stdout).toMatch(/^Notice of Disconnection unavailable \(52\): server shutting down$/m);
    expectNoStackTrace(result.stderr);
  });

  it('before a success in the same write: not a go-ahead, exit 9', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(Buffer.concat([notice(52, 'going away'), extendedResp(1, 0)]));
      await sleep(500);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/Notice of Disconnection instead of answering StartTLS/);
    expect(result.stdout).not.toMatch(/Verdict/);
  });
});

describe('LDAP: malformed BER fails the dialogue at once, with one clear line', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['indefinite length', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]), /malformed BER/],
    ['a length of 5 octets', Buffer.from([0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x05]), /malformed BER/],
    ['a length above 1 MiB (nothing waits for it)', Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), /malformed BER/],
    ['not a SEQUENCE', Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'), /malformed BER/],
    ['a sound envelope with a broken inside', Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x78, 0x05]), /malformed BER/],
    ['a negative messageID', message(1, tlv(OP.extendedResp, ...result(0))).fill(0xff, 4, 5), /malformed BER/],
  ];
  it('a text greeting (an SMTP port): the bytes shown, and a hint that this is not LDAP', async () => {
    const server = await serve(async (client) => {
      client.send('220 mx.example.com ESMTP\r\n');
      await sleep(1000);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/220 mx\.example\.com ESMTP/);
    expect(result.stderr).toMatch(/another protocol/);
  });

  for (const [name, bytes, pattern] of cases) {
    it(name, async () => {
      const server = await serve(async (client) => {
        await startTlsRequest(messagesOf(client));
        client.send(bytes);
        await sleep(3000);
      });
      const started = Date.now();
      const result = await runMailprobe(starttls(server.port, '-timeout', '20'));
      expect(result.code).toBe(11);
      expect(result.stderr).toMatch(pattern);
      expectNoStackTrace(result.stderr);
      // Well before the 20 s reply timeout: the malformed message ended the wait.
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  }
});

describe('LDAP: server text is escaped', () => {
  it('control bytes in a DN, an attribute value and a diagnostic reach stdout escaped', async () => {
    const hostile = '\x1b[2J\x1b]0;owned\x07\r';
    const server = await serve(async (client) => {
      const reader = messagesOf(client);
      const search = await expectOp(reader, OP.searchRequest);
      client.send(Buffer.concat([searchResEntry(search.id, `dc=${hostile}`, { namingContexts: [`dc=x${hostile}`] }), searchResDone(search.id, 0, hostile)]));
      await reader.next();
      client.end();
    });
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'ldap', '-timeout', '5']);
    expect(result.code).toBe(0);
    expect(result.stdoutBytes.includes(0x1b)).toBe(false);
    expect(result.stdoutBytes.includes(0x07)).toBe(false);
    expect(result.stdout).toMatch(/^ {2}namingContexts: dc=x\\e\[2J\\e\]0;owned\\a\\r$/m);
  });

  it('in a refusal\'s diagnostic on stderr too', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(extendedResp(1, 52, 'no\x1b[2J TLS\x07'));
      await sleep(300);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/unavailable \(52\)/);
    expect(result.stderr).not.toMatch(/[\x1b\x07]/);
  });
});

describe('LDAP without StartTLS', () => {
  it('-tls: the RootDSE over implicit TLS (-proto ldap on another port), exit 0', async () => {
    const log: LdapMessage[] = [];
    const server = await serve((client) => rootDseAndUnbind(client, log), { implicitTls: tlsOf(testPki().leaf) });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-proto', 'ldap', '-CAfile', testPki().ca.cert, '-timeout', '5']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Verdict verified/);
    expect(result.stdout).toMatch(/^ {2}namingContexts: dc=example,dc=org$/m);
    expect(log.map((m) => m.id)).toEqual([2, 3]);
  });

  it('-plain: the RootDSE in cleartext; a refused read is shown and still exit 0', async () => {
    const server = await serve(async (client) => {
      const reader = messagesOf(client);
      const search = await expectOp(reader, OP.searchRequest);
      client.send(searchResDone(search.id, 50, 'anonymous reads denied'));
      await reader.next();
      client.end();
    });
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'ldap', '-timeout', '5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^searchResDone #2 insufficientAccessRights \(50\): anonymous reads denied$/m);
  });

  it('--log records the wire: one received entry per message, none for the rendered attribute lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailprobe-ldap-log-'));
    const log = join(dir, 'transcript.log');
    const server = await serve((client) => rootDseAndUnbind(client, []));
    const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'ldap', '-timeout', '5', '--log', log]);
    expect(result.code).toBe(0);
    const received = readFileSync(log, 'utf8').split('\n').filter((line) => / <- /.test(line) || / <- ?$/.test(line));
    rmSync(dir, { recursive: true, force: true });
    // The entry and the searchResDone, as their raw BER (escaped).
    expect(received).toHaveLength(2);
    expect(received[0]).toMatch(/namingContexts/);
    expect(received.every((line) => !/<- ?$/.test(line))).toBe(true);
  });

  for (const [what, answer] of [
    ['a searchResDone', searchResDone(9)],
    ['an entry (shown on several lines)', searchResEntry(9, 'dc=forged', { namingContexts: ['dc=a', 'dc=b'] })],
  ] as const) {
    it(`-plain: ${what} for another messageID is a protocol error, exit 11`, async () => {
      const server = await serve(async (client) => {
        await expectOp(messagesOf(client), OP.searchRequest);
        client.send(answer);
        await sleep(500);
      });
      const result = await runMailprobe(['-connect', `127.0.0.1:${server.port}`, '-plain', '-proto', 'ldap', '-timeout', '5']);
      expect(result.code).toBe(11);
      expect(result.stderr).toMatch(/never sent \(messageID 9\)/);
    });
  }
});

describe('LDAP: check and cert over StartTLS', () => {
  const upgrade = async (client: FakeClient) => {
    const reader = messagesOf(client);
    await startTlsRequest(reader);
    client.send(extendedResp(1, 0));
    reader.stop();
    await client.upgrade(tlsOf(testPki().leaf));
    await messagesOf(client).next();
  };

  it('check --starttls ldap: TLS and certificate checks ok, no greeting row', async () => {
    const server = await serve(upgrade);
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'ldap', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.stdout).toMatch(/ok +tls\.starttls/);
    expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
    expect(result.stdout).not.toMatch(/fail |warn |greeting/);
    expect(result.code).toBe(0);
  });

  it('check --starttls ldap against a refusal: the STARTTLS check fails with the code by name', async () => {
    const server = await serve(async (client) => {
      await startTlsRequest(messagesOf(client));
      client.send(extendedResp(1, 52, 'no TLS here'));
      await sleep(300);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'ldap', '--no-versions', '--timeout', '5']);
    expect(result.stdout).toMatch(/fail +tls\.starttls +the server refused StartTLS: unavailable \(52\)/);
    expect(result.code).not.toBe(0);
  });

  it('cert --starttls ldap: the chain verifies', async () => {
    const server = await serve(upgrade);
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'ldap', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/verified/i);
  });
});
