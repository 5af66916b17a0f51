// The -msg tracer's pieces: records and handshake messages split from arbitrary chunks,
// TLS 1.3 records opened with a traffic secret (sealed here the same way a peer would), and
// the bound on records waiting for a secret that never comes.
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MessageReassembler, RecordSplitter, type HandshakeMessage, type TlsRecord } from '../../src/transport/trace/records.js';
import { expandLabel, RecordOpener, TLS13_SUITES } from '../../src/transport/trace/tls13.js';
import { TlsTracer, type TlsTraceEvent } from '../../src/transport/trace/tracer.js';

const record = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body]);
const message = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);

/** Seals `content` of inner type `type` as TLS 1.3 does (RFC 8446 §5.2), sequence `seq`. */
function seal(secret: Buffer, seq: number, type: number, content: Buffer): Buffer {
  const suite = TLS13_SUITES[0x1301];
  const key = expandLabel(suite.hash, secret, 'key', suite.keyLength);
  const iv = expandLabel(suite.hash, secret, 'iv', 12);
  const nonce = Buffer.from(iv);
  const sequence = Buffer.alloc(8);
  sequence.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= sequence[i];
  const inner = Buffer.concat([content, Buffer.from([type, 0, 0])]);
  const header = Buffer.from([23, 3, 3, (inner.length + 16) >> 8, (inner.length + 16) & 0xff]);
  const cipher = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
  cipher.setAAD(header);
  return Buffer.concat([header, cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
}

describe('records and messages', () => {
  it('split from any chunking: records whole, messages across and within records', () => {
    const messages = [message(2, randomBytes(70)), message(11, randomBytes(3000)), message(20, randomBytes(32))];
    const stream = Buffer.concat([record(22, Buffer.concat(messages).subarray(0, 1000)), record(22, Buffer.concat(messages).subarray(1000))]);
    for (const size of [1, 3, 7, 64, stream.length]) {
      const records: TlsRecord[] = [];
      const found: HandshakeMessage[] = [];
      const reassembler = new MessageReassembler((m) => found.push(m));
      const splitter = new RecordSplitter((r) => {
        records.push(r);
        reassembler.push(r.body);
      });
      for (let i = 0; i < stream.length; i += size) splitter.push(stream.subarray(i, i + size));
      expect(records.map((r) => r.body.length)).toEqual([1000, Buffer.concat(messages).length - 1000]);
      expect(found.map((m) => m.raw)).toEqual(messages);
    }
  });

  it('a record longer than TLS allows stops the splitting', () => {
    const splitter = new RecordSplitter(() => {});
    splitter.push(Buffer.from([23, 3, 3, 0xff, 0xff]));
    expect(splitter.broken).toBe(true);
  });
});

describe('TLS 1.3 records', () => {
  it('open with the traffic secret, in sequence; the inner type and padding are taken off', () => {
    const secret = randomBytes(32);
    const opener = new RecordOpener(TLS13_SUITES[0x1301], secret);
    for (let seq = 0; seq < 3; seq++) {
      const sealed = seal(secret, seq, 22, Buffer.from(`message ${seq}`));
      expect(opener.open(sealed.subarray(0, 5), sealed.subarray(5))).toEqual({ type: 22, content: Buffer.from(`message ${seq}`) });
    }
    const other = new RecordOpener(TLS13_SUITES[0x1301], randomBytes(32));
    const sealed = seal(secret, 0, 22, Buffer.from('x'));
    expect(other.open(sealed.subarray(0, 5), sealed.subarray(5))).toBeUndefined();
  });

  it('a tracer opens a server flight once its secret is logged, and keeps at most 64 records waiting for one that never comes', () => {
    const events: TlsTraceEvent[] = [];
    const tracer = new TlsTracer({ msg: true }, (event) => events.push(event));
    // A TLS 1.3 ServerHello (supported_versions 0x0304, TLS_AES_128_GCM_SHA256).
    const hello = Buffer.concat([Buffer.from([3, 3]), randomBytes(32), Buffer.from([0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4])]);
    tracer.tap('in', record(22, message(2, hello)));
    const secret = randomBytes(32);
    tracer.tap('in', seal(secret, 0, 22, message(8, Buffer.from([0, 0]))));
    tracer.tap('in', seal(secret, 1, 22, message(13, Buffer.from([0, 0, 0]))));
    expect(events.filter((e) => e.kind === 'message').map((e) => (e as { name: string }).name)).toEqual(['ServerHello']);
    tracer.keylog(Buffer.from(`SERVER_HANDSHAKE_TRAFFIC_SECRET ${'00'.repeat(32)} ${secret.toString('hex')}\n`));
    expect(events.filter((e) => e.kind === 'message').map((e) => (e as { name: string; encrypted: boolean }).name)).toEqual(['ServerHello', 'EncryptedExtensions', 'CertificateRequest']);
    expect(tracer.certificateRequest).toEqual({ authorities: [] });
    // Client records with no client secret logged: at most 64 wait, then the trace of that side stops.
    tracer.tap('out', record(22, message(1, randomBytes(40))));
    for (let i = 0; i < 100; i++) tracer.tap('out', seal(randomBytes(32), i, 22, Buffer.from('x')));
    expect(events.filter((e) => e.kind === 'record' && e.note?.startsWith('no key to open it'))).toHaveLength(1);
  });
});
