// The few handshake messages mailprobe reads (RFC 8446 §4, RFC 5246 §7.4): the version and
// cipher suite a ServerHello chose, the CAs a CertificateRequest names, and whether a
// client's Certificate message carried one. Each reader is bounded by its buffer and
// returns undefined (or nothing) on anything malformed.

export interface CertificateRequestInfo {
  /** The distinguished names (DER) of the CAs the server accepts client certificates from; empty: any. */
  authorities: Buffer[];
}

/** A cursor over a buffer that never reads past its end. */
class Reader {
  offset = 0;
  constructor(private readonly bytes: Buffer) {}
  get left(): number {
    return this.bytes.length - this.offset;
  }
  take(n: number): Buffer {
    if (n > this.left) throw new RangeError('short');
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint(n: number): number {
    return this.take(n).readUIntBE(0, n);
  }
  vector(lengthBytes: number): Buffer {
    return this.take(this.uint(lengthBytes));
  }
}

const SUPPORTED_VERSIONS = 43;
const CERTIFICATE_AUTHORITIES = 47;

export function readServerHello(body: Buffer): { version: number; suite: number } | undefined {
  try {
    const r = new Reader(body);
    let version = r.uint(2);
    r.take(32);
    r.vector(1);
    const suite = r.uint(2);
    r.take(1);
    if (r.left >= 2) {
      const extensions = new Reader(r.vector(2));
      while (extensions.left >= 4) {
        const type = extensions.uint(2);
        const data = extensions.vector(2);
        if (type === SUPPORTED_VERSIONS && data.length === 2) version = data.readUInt16BE(0);
      }
    }
    return { version, suite };
  } catch {
    return undefined;
  }
}

function names(list: Buffer): Buffer[] {
  const r = new Reader(list);
  const out: Buffer[] = [];
  while (r.left >= 2) out.push(r.vector(2));
  return out;
}

export function readCertificateRequest(body: Buffer, tls13: boolean): CertificateRequestInfo | undefined {
  try {
    const r = new Reader(body);
    if (!tls13) {
      r.vector(1);
      r.vector(2);
      return { authorities: names(r.vector(2)) };
    }
    r.vector(1);
    const extensions = new Reader(r.vector(2));
    while (extensions.left >= 4) {
      const type = extensions.uint(2);
      const data = extensions.vector(2);
      if (type === CERTIFICATE_AUTHORITIES) return { authorities: names(new Reader(data).vector(2)) };
    }
    return { authorities: [] };
  } catch {
    return undefined;
  }
}

/** How many certificates a Certificate message holds (0: the client had none to give). */
export function certificateCount(body: Buffer, tls13: boolean): number {
  try {
    const r = new Reader(body);
    if (tls13) r.vector(1);
    const list = new Reader(r.vector(3));
    let count = 0;
    while (list.left >= 3) {
      list.vector(3);
      if (tls13) list.vector(2);
      count++;
    }
    return count;
  } catch {
    return 0;
  }
}
