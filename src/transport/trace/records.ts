// TLS records and handshake messages out of a byte stream (RFC 8446 §5.1, §4): a splitter
// per direction, fed chunks as they pass, handing on whole records, and a reassembler
// handing on whole handshake messages (which may span records, or share one). Both are
// bounded: a record or message beyond TLS's own limits stops the trace.

/** RFC 8446 §5.2: a ciphertext record is at most 2^14 + 256 bytes. */
const MAX_RECORD = 16_384 + 256;
/** No handshake message mailprobe would read is larger than this (a long certificate chain). */
const MAX_MESSAGE = 256 * 1024;

export const CONTENT_TYPES: Record<number, string> = { 20: 'ChangeCipherSpec', 21: 'Alert', 22: 'Handshake', 23: 'ApplicationData', 24: 'Heartbeat' };

export const HANDSHAKE_TYPES: Record<number, string> = {
  0: 'HelloRequest',
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  5: 'EndOfEarlyData',
  8: 'EncryptedExtensions',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
  22: 'CertificateStatus',
  24: 'KeyUpdate',
  254: 'MessageHash',
};

export interface TlsRecord {
  type: number;
  /** The record layer's version field (0x0303 for TLS 1.2 and 1.3 alike). */
  version: number;
  /** The 5-byte header (the AEAD's additional data in TLS 1.3). */
  header: Buffer;
  body: Buffer;
}

export class RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Set once the stream stopped looking like TLS records: nothing more is split. */
  broken = false;

  constructor(private readonly onRecord: (record: TlsRecord) => void) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 5) {
      const length = this.pending.readUInt16BE(3);
      if (length > MAX_RECORD || this.pending[1] !== 3) {
        this.broken = true;
        return;
      }
      if (this.pending.length < 5 + length) return;
      const header = this.pending.subarray(0, 5);
      const body = this.pending.subarray(5, 5 + length);
      this.pending = this.pending.subarray(5 + length);
      this.onRecord({ type: header[0], version: header.readUInt16BE(1), header, body });
    }
  }
}

export interface HandshakeMessage {
  type: number;
  /** The message body, without its 4-byte header. */
  body: Buffer;
  /** The whole message, header included. */
  raw: Buffer;
}

export class MessageReassembler {
  private pending: Buffer = Buffer.alloc(0);
  broken = false;

  constructor(private readonly onMessage: (message: HandshakeMessage) => void) {}

  push(fragment: Buffer): void {
    if (this.broken) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, fragment]) : fragment;
    while (this.pending.length >= 4) {
      const length = this.pending.readUIntBE(1, 3);
      if (length > MAX_MESSAGE) {
        this.broken = true;
        return;
      }
      if (this.pending.length < 4 + length) return;
      const raw = this.pending.subarray(0, 4 + length);
      this.pending = this.pending.subarray(4 + length);
      this.onMessage({ type: raw[0], body: raw.subarray(4), raw });
    }
  }
}
