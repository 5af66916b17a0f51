// Follows a TLS connection's records in both directions as they pass the record guard: the
// handshake messages (those TLS 1.3 encrypts opened with the secrets Node's 'keylog' event
// gives), what the server asked of a client certificate and whether one went out, and,
// for -msg and -debug, an event per message, record and chunk. Without -msg or -debug it
// stops once both sides have finished the handshake.
import { CONTENT_TYPES, HANDSHAKE_TYPES, MessageReassembler, RecordSplitter, type HandshakeMessage, type TlsRecord } from './records.js';
import { keylogSecret, RecordOpener, TLS13_SUITES } from './tls13.js';
import { certificateCount, readCertificateRequest, readServerHello, type CertificateRequestInfo } from './messages.js';

export type Direction = 'in' | 'out';

export type TlsTraceEvent =
  | { kind: 'message'; direction: Direction; version: string; name: string; length: number; encrypted: boolean }
  | { kind: 'record'; direction: Direction; version: string; name: string; length: number; note?: string }
  | { kind: 'bytes'; direction: Direction; bytes: Buffer };

export interface TraceOptions {
  /** -msg: an event per handshake message and per other record. */
  msg?: boolean;
  /** -debug: an event per chunk of raw bytes read or written. */
  debug?: boolean;
}

/** Protected records kept while their traffic secret is not known yet (a handshake needs a handful). */
const MAX_WAITING = 64;

const VERSION_NAMES: Record<number, string> = { 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };
const ALERTS: Record<number, string> = { 0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 40: 'handshake_failure', 42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 50: 'decode_error', 51: 'decrypt_error', 70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback', 90: 'user_canceled', 109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name', 116: 'certificate_required', 120: 'no_application_protocol' };

class Side {
  readonly splitter: RecordSplitter;
  readonly reassembler: MessageReassembler;
  /** TLS 1.2: a ChangeCipherSpec went by, so what follows is encrypted (and unread). */
  changedCipher = false;
  /** TLS 1.3: which traffic secret the next protected record needs. */
  phase: 'handshake' | 'application' = 'handshake';
  secrets: Partial<Record<'handshake' | 'application', Buffer>> = {};
  opener?: RecordOpener;
  waiting: TlsRecord[] = [];
  encryptedMessage = false;

  constructor(onRecord: (record: TlsRecord) => void, onMessage: (message: HandshakeMessage) => void) {
    this.splitter = new RecordSplitter(onRecord);
    this.reassembler = new MessageReassembler(onMessage);
  }
}

export class TlsTracer {
  /** Set once the server's CertificateRequest went by. */
  certificateRequest?: CertificateRequestInfo;
  /** Whether the client's Certificate message carried a certificate (undefined: none was asked for, or it was not seen). */
  clientCertificateSent?: boolean;
  /** False once there is nothing more to follow (the handshake done, without -msg or -debug). */
  active = true;
  private version?: number;
  private suite?: number;
  private readonly sides: Record<Direction, Side>;

  constructor(
    private readonly options: TraceOptions,
    private readonly emit: (event: TlsTraceEvent) => void,
  ) {
    this.sides = { in: this.side('in'), out: this.side('out') };
  }

  /** Bytes that passed the guard, in either direction. */
  tap(direction: Direction, chunk: Buffer): void {
    if (!this.active) return;
    if (this.options.debug) this.emit({ kind: 'bytes', direction, bytes: Buffer.from(chunk) });
    this.sides[direction].splitter.push(chunk);
  }

  /** A key log line: the TLS 1.3 traffic secrets open what waits. */
  keylog(line: Buffer): void {
    const found = keylogSecret(line);
    if (!found) return;
    const which: Record<string, [Direction, 'handshake' | 'application']> = {
      SERVER_HANDSHAKE_TRAFFIC_SECRET: ['in', 'handshake'],
      CLIENT_HANDSHAKE_TRAFFIC_SECRET: ['out', 'handshake'],
      SERVER_TRAFFIC_SECRET_0: ['in', 'application'],
      CLIENT_TRAFFIC_SECRET_0: ['out', 'application'],
    };
    const slot = which[found.label];
    if (!slot) return;
    this.sides[slot[0]].secrets[slot[1]] = found.secret;
    this.drain(slot[0]);
  }

  private get versionName(): string {
    return (this.version !== undefined && VERSION_NAMES[this.version]) || 'TLS';
  }

  private side(direction: Direction): Side {
    const side: Side = new Side(
      (record) => this.record(direction, side, record),
      (message) => this.message(direction, side, message),
    );
    return side;
  }

  private record(direction: Direction, side: Side, record: TlsRecord): void {
    const name = CONTENT_TYPES[record.type] ?? `content type ${record.type}`;
    const tls13 = this.version === 0x0304;
    if (record.type === 22 && !side.changedCipher) {
      side.encryptedMessage = false;
      return side.reassembler.push(record.body);
    }
    if (record.type === 23 && tls13) {
      // Records wait for their secret; a secret that never comes must not make the wait unbounded.
      if (side.waiting.length >= MAX_WAITING) {
        side.splitter.broken = true;
        return this.show({ kind: 'record', direction, version: this.versionName, name, length: record.body.length, note: `no key to open it: no more records followed` });
      }
      side.waiting.push(record);
      return this.drain(direction);
    }
    if (record.type === 20 && !tls13) side.changedCipher = true;
    const alert = record.type === 21 && !side.changedCipher && record.body.length >= 2 ? `${record.body[0] === 2 ? 'fatal' : 'warning'} ${ALERTS[record.body[1]] ?? record.body[1]}` : undefined;
    const note = alert ?? (record.type === 22 ? 'encrypted (Finished)' : record.type === 21 ? 'encrypted' : undefined);
    this.show({ kind: 'record', direction, version: this.versionName, name, length: record.body.length, note });
  }

  /** Opens the waiting TLS 1.3 records in order, as far as the secrets known allow. */
  private drain(direction: Direction): void {
    const side = this.sides[direction];
    const suite = this.suite === undefined ? undefined : TLS13_SUITES[this.suite];
    while (side.waiting.length > 0 && suite) {
      const secret = side.secrets[side.phase];
      if (!secret) return;
      side.opener ??= new RecordOpener(suite, secret);
      const record = side.waiting.shift() as TlsRecord;
      const opened = side.opener.open(record.header, record.body);
      if (!opened) {
        this.show({ kind: 'record', direction, version: this.versionName, name: 'ApplicationData', length: record.body.length, note: 'does not open' });
        continue;
      }
      if (opened.type === 22) {
        side.encryptedMessage = true;
        side.reassembler.push(opened.content);
      } else {
        const note = opened.type === 21 && opened.content.length >= 2 ? `${opened.content[0] === 2 ? 'fatal' : 'warning'} ${ALERTS[opened.content[1]] ?? opened.content[1]}` : undefined;
        this.show({ kind: 'record', direction, version: this.versionName, name: CONTENT_TYPES[opened.type] ?? `content type ${opened.type}`, length: opened.content.length, note });
      }
    }
  }

  private message(direction: Direction, side: Side, message: HandshakeMessage): void {
    if (direction === 'in' && message.type === 2) {
      const hello = readServerHello(message.body);
      this.version = hello?.version;
      this.suite = hello?.suite;
    }
    this.show({ kind: 'message', direction, version: this.versionName, name: HANDSHAKE_TYPES[message.type] ?? `handshake type ${message.type}`, length: message.body.length, encrypted: side.encryptedMessage });
    if (direction === 'in' && message.type === 13) {
      this.certificateRequest = readCertificateRequest(message.body, this.version === 0x0304);
    } else if (direction === 'out' && message.type === 11) {
      this.clientCertificateSent = certificateCount(message.body, this.version === 0x0304) > 0;
    } else if (message.type === 20 && this.version === 0x0304) {
      // After its Finished, each side protects records with its application traffic secret.
      side.phase = 'application';
      side.opener = undefined;
    }
    const finished = (s: Side) => s.phase === 'application' || s.changedCipher;
    if (message.type === 20 && !this.options.msg && !this.options.debug && finished(this.sides.in) && finished(this.sides.out)) this.active = false;
  }

  private show(event: TlsTraceEvent): void {
    if (this.options.msg) this.emit(event);
  }
}
