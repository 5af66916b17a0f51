// TLS 1.3 record protection undone with the session's own secrets (RFC 8446 §5.2-5.3,
// §7.1-7.3), as Node's 'keylog' event hands them to the client: what lets -msg show the
// encrypted handshake (EncryptedExtensions, CertificateRequest, Certificate …) and the
// report say whether the server asked for a client certificate. Only mailprobe's own
// connection is read, with keys it already holds.
import { createDecipheriv, createHmac } from 'node:crypto';

interface Suite {
  cipher: string;
  hash: 'sha256' | 'sha384';
  keyLength: number;
}

/** The cipher suites TLS 1.3 defines, by code point. */
export const TLS13_SUITES: Record<number, Suite> = {
  0x1301: { cipher: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  0x1302: { cipher: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  0x1303: { cipher: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 },
  0x1304: { cipher: 'aes-128-ccm', hash: 'sha256', keyLength: 16 },
};

const TAG = 16;

/** HKDF-Expand (RFC 5869 §2.3). */
function expand(hash: string, secret: Buffer, info: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(blocks).length < length; i++) {
    previous = createHmac(hash, secret).update(Buffer.concat([previous, info, Buffer.from([i])])).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** HKDF-Expand-Label with an empty context (RFC 8446 §7.1). */
export function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  return expand(hash, secret, info, length);
}

export interface Opened {
  /** The inner content type (22 handshake, 23 application data, 21 alert). */
  type: number;
  content: Buffer;
}

/** One direction's record protection under one traffic secret: the key, IV and sequence number. */
export class RecordOpener {
  private readonly key: Buffer;
  private readonly iv: Buffer;
  private sequence = 0n;

  constructor(
    private readonly suite: Suite,
    secret: Buffer,
  ) {
    this.key = expandLabel(suite.hash, secret, 'key', suite.keyLength);
    this.iv = expandLabel(suite.hash, secret, 'iv', 12);
  }

  /** The record's plaintext and inner type; undefined when it does not open (not this key). */
  open(header: Buffer, body: Buffer): Opened | undefined {
    if (body.length < TAG + 1) return undefined;
    const nonce = Buffer.from(this.iv);
    const sequence = Buffer.alloc(8);
    sequence.writeBigUInt64BE(this.sequence++);
    for (let i = 0; i < 8; i++) nonce[4 + i] ^= sequence[i];
    try {
      const decipher = createDecipheriv(this.suite.cipher as 'aes-128-gcm', this.key, nonce, { authTagLength: TAG });
      decipher.setAAD(header, { plaintextLength: body.length - TAG });
      decipher.setAuthTag(body.subarray(body.length - TAG));
      const plain = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG)), decipher.final()]);
      // TLSInnerPlaintext: content, the real type, then zero padding.
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      return end < 0 ? undefined : { type: plain[end], content: plain.subarray(0, end) };
    } catch {
      return undefined;
    }
  }
}

/** A key log line ("LABEL client_random secret") as label and secret. */
export function keylogSecret(line: Buffer): { label: string; secret: Buffer } | undefined {
  const [label, , secret] = line.toString('latin1').trim().split(' ');
  return label && secret && /^[0-9a-f]+$/i.test(secret) ? { label, secret: Buffer.from(secret, 'hex') } : undefined;
}
