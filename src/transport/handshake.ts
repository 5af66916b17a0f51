// Runs the TLS handshake over a connected socket (implicit TLS, or after a STARTTLS
// go-ahead) and gathers everything the report shows.
import { X509Certificate } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { MailprobeError, timeoutError } from '../errors.js';
import { describeCertificate, joinDn, type CertificateInfo } from './certificate.js';
import { saveSession } from './session.js';
import { readOcspResponse, type OcspFacts } from './ocsp.js';
import { distinguishedName } from './names.js';
import { TlsTracer, type TlsTraceEvent } from './trace/tracer.js';
import { TlsRecordGuard } from './tlsGuard.js';
import { identityName, sniName, tlsConnectionOptions, type TlsSettings } from './tlsOptions.js';
import { chainAnchor, type Anchor } from './anchor.js';
import { judgeCertificate, type Verdict } from './verify.js';
import { describeTlsa, formatTlsa, matchDane, type DaneResult } from './dane.js';

export interface TlsInfo {
  protocol: string;
  cipher: string;
  keyExchange?: string;
  alpn?: string;
  sni?: string;
  chain: CertificateInfo[];
  /** How many of `chain` the server sent; the rest were found in the local trust store. */
  sentCount: number;
  ocspStapled: boolean;
  /** The stapled OCSP response (DER), when the server sent one. */
  ocspResponse?: Buffer;
  /** With -status (and in `check`): that response read and verified. */
  ocsp?: OcspFacts;
  /** Whether a saved session was offered (-sess_in, -reconnect) and whether the server resumed it. */
  session: { offered: boolean; resumed: boolean };
  /**
   * The newest session the server handed out (with TLS 1.3 its tickets come after the
   * handshake, so this field is set again as they arrive): what -reconnect resumes.
   */
  latestSession?: Buffer;
  /** The subject of the client certificate offered (-cert, -pkcs12), if one was configured. */
  clientCertificate?: string;
  /** Whether the server asked for a client certificate, from which CAs, and whether one went; when the handshake was followed. */
  clientAuth?: { asked: boolean; authorities: string[]; sent: boolean };
  verdict: Verdict;
  /** OpenSSL's own verification code, when the chain did not verify. */
  authorizationError?: string;
  /** Where the chain ends, when it did not verify. */
  anchor?: Anchor;
  /** With TLSA records given: DANE's result, which is then the verdict (RFC 7672 §2.2). */
  dane?: DaneResult;
  /** With TLSA records given: what the PKIX chain alone would have said. */
  pkix?: Verdict;
  /** After an SRV lookup: whether the certificate names the source domain too (RFC 6125 §6.2.1). */
  sourceDomain?: { name: string; matches: boolean };
  /** Under an MTA-STS policy (RFC 8461 §4.2): the MX listed, and the certificate valid for it. */
  mtaSts?: { mode: 'enforce' | 'testing' | 'none'; mx: string; mxMatch: boolean; certificateValid: boolean };
}

/** DANE's word on the server: with usable TLSA records it, not the CA chain, decides. */
function daneVerdict(dane: DaneResult, name: string): Verdict {
  if (dane.status === 'valid') {
    const where = dane.depth === 0 ? "the server's certificate" : `the trust anchor at depth ${dane.depth}`;
    return { verified: true, name, by: `DANE: TLSA ${formatTlsa(dane.record)} (${describeTlsa(dane.record)}) matches ${where}` };
  }
  const unusable = dane.unusable.map((each) => `TLSA ${formatTlsa(each.record)} is unusable: ${each.why}`);
  if (dane.status === 'unusable') return { verified: false, name, reasons: ['DANE: no usable TLSA record, so nothing authenticates the server', ...unusable] };
  return { verified: false, name, reasons: [...dane.reasons.map((reason) => `DANE: TLSA ${reason}`), ...unusable] };
}

/** Raised when the server answered the handshake with something that is not TLS. */
export class NotTlsError extends MailprobeError {
  constructor(readonly received: Buffer, cause?: unknown) {
    super('TLS_HANDSHAKE', 'the server answered the TLS handshake with plaintext', { cause, bytes: received });
  }
}

function peerChain(socket: TLSSocket, now?: Date): { peer?: PeerCertificate; chain: CertificateInfo[] } {
  const peer = socket.getPeerCertificate(true);
  if (!peer || !peer.raw) return { chain: [] };
  const chain: CertificateInfo[] = [];
  const seen = new Set<string>();
  for (let cert: PeerCertificate | undefined = peer; cert?.raw; cert = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate) {
    if (seen.has(cert.fingerprint256)) break;
    seen.add(cert.fingerprint256);
    chain.push(describeCertificate(cert.raw, now));
  }
  return { peer, chain };
}

/**
 * The certificates the server itself sent, leaf first, as PEM. getPeerCertificate(true)
 * also appends issuers found in the local trust store; DANE must see only what was sent
 * (RFC 7671 §5.2.2: a DANE-TA anchor has to be in the server's chain).
 */
function sentChain(socket: TLSSocket): string[] {
  const pems: string[] = [];
  const seen = new Set<string>();
  for (let cert = socket.getPeerX509Certificate(); cert && !seen.has(cert.fingerprint256); cert = cert.issuerCertificate) {
    seen.add(cert.fingerprint256);
    pems.push(cert.toString());
  }
  return pems;
}

function keyExchangeOf(socket: TLSSocket): string | undefined {
  const info = socket.getEphemeralKeyInfo();
  if (!info || typeof info !== 'object' || !('type' in info)) return undefined;
  const { type, name, size } = info as { type?: string; name?: string; size?: number };
  return [name ?? type, size ? `${size} bits` : undefined].filter(Boolean).join(', ');
}

/** The staple read against the server's certificate and its issuer (the next in the chain). */
async function stapleFacts(der: Buffer, chain: CertificateInfo[], at?: Date): Promise<OcspFacts> {
  const [leaf, issuer] = chain.map((cert) => new X509Certificate(cert.pem));
  return readOcspResponse(der, leaf, issuer, at);
}

/** The subject of the client certificate configured, for the report (a PKCS#12 file says it once opened). */
function clientSubject(settings: TlsSettings): string | undefined {
  const client = settings.clientCertificate;
  if (!client) return undefined;
  if ('pfx' in client) return 'from the PKCS#12 file';
  try {
    return joinDn(new X509Certificate(client.cert).subject);
  } catch {
    return 'from the -cert file';
  }
}

/** What the handshake followed: whether the server asked for a client certificate, and whether one went. */
function clientAuthOf(tracer: TlsTracer, settings: TlsSettings): TlsInfo['clientAuth'] {
  const request = tracer.certificateRequest;
  if (!request) return { asked: false, authorities: [], sent: false };
  // OpenSSL sends the configured certificate whenever one is asked for.
  return { asked: true, authorities: request.authorities.map(distinguishedName), sent: tracer.clientCertificateSent ?? !!settings.clientCertificate };
}

export function handshake(raw: Socket, settings: TlsSettings, timeoutMs: number, onTrace?: (event: TlsTraceEvent) => void): Promise<{ socket: TLSSocket; info: TlsInfo }> {
  const options = tlsConnectionOptions(settings);
  const guard = new TlsRecordGuard(raw);
  const follow = settings.trace?.msg || settings.trace?.debug || settings.inspectHandshake || settings.clientCertificate;
  const tracer = follow ? new TlsTracer(settings.trace ?? {}, (event) => onTrace?.(event)) : undefined;
  if (tracer) {
    guard.tap = (direction, chunk) => {
      tracer.tap(direction, chunk);
      if (!tracer.active) guard.tap = undefined;
    };
  }
  return new Promise((resolve, reject) => {
    let ocspResponse: Buffer | undefined;
    let latestSession: Buffer | undefined;
    let info: TlsInfo | undefined;
    const socket = tlsConnect({ ...options, socket: guard as unknown as Socket });
    const { keylogFile, sessionOut } = settings;
    if (keylogFile || tracer) {
      socket.on('keylog', (line: Buffer) => {
        if (keylogFile) appendFileSync(keylogFile, line, { mode: 0o600 });
        tracer?.keylog(line);
      });
    }
    // Every session the server hands out (TLS 1.3 tickets come after the handshake).
    socket.on('session', (session: Buffer) => {
      latestSession = session;
      if (info) info.latestSession = session;
      if (sessionOut) saveSession(sessionOut, session);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError('TLS_TIMEOUT', `the TLS handshake did not finish within ${timeoutMs / 1000} s`, {
        hint: 'the server may not speak TLS on this port',
      }));
    }, timeoutMs);
    socket.on('OCSPResponse', (response: Buffer | null) => {
      ocspResponse = response && response.length > 0 ? response : undefined;
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      const { peer, chain } = peerChain(socket, settings.atTime);
      const name = identityName(settings);
      const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
      const anchor = authorizationError ? chainAnchor(chain, settings, authorizationError) : undefined;
      const cipher = socket.getCipher();
      const pkix = judgeCertificate(authorizationError, peer, chain, name, anchor, { atTime: settings.atTime, depth: settings.verifyDepth });
      const daneName = settings.dane?.domain ?? name;
      const sent = sentChain(socket);
      const dane = settings.dane && matchDane(settings.dane.records, sent, daneName);
      info = {
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: cipher.standardName || cipher.name,
        keyExchange: keyExchangeOf(socket),
        alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : undefined,
        sni: sniName(settings),
        chain,
        sentCount: Math.min(sent.length, chain.length),
        ocspStapled: ocspResponse !== undefined,
        ocspResponse,
        session: { offered: settings.session !== undefined, resumed: socket.isSessionReused() },
        latestSession,
        clientCertificate: clientSubject(settings),
        clientAuth: tracer && clientAuthOf(tracer, settings),
        authorizationError,
        anchor,
        verdict: dane ? daneVerdict(dane, daneName) : pkix,
        ...(dane ? { dane, pkix } : {}),
        ...(settings.sourceDomain ? { sourceDomain: { name: settings.sourceDomain, matches: !!peer && !checkServerIdentity(settings.sourceDomain, peer) } } : {}),
        ...(settings.mtaSts ? { mtaSts: { ...settings.mtaSts, certificateValid: pkix.verified } } : {}),
      };
      if (!settings.status || !ocspResponse) return resolve({ socket, info });
      // Reading the staple loads the ASN.1 library: only when asked (-status, check).
      const done = info;
      const settle = (ocsp: OcspFacts) => {
        done.ocsp = ocsp;
        resolve({ socket, info: done });
      };
      stapleFacts(ocspResponse, chain, settings.atTime).then(settle, (error: unknown) =>
        settle({ responseStatus: 'unreadable', signature: { verified: false, problem: `the response is not valid OCSP: ${(error as Error).message}` } }),
      );
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (guard.notTls) {
        reject(new NotTlsError(guard.notTls, err));
        return;
      }
      reject(describeTlsError(err));
    });
  });
}

function describeTlsError(err: NodeJS.ErrnoException): MailprobeError {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || /socket disconnected|ECONNRESET/i.test(err.message)) {
    return new MailprobeError('TLS_HANDSHAKE', 'the server closed the connection during the TLS handshake', {
      cause: err,
      hint: 'it may not support the TLS versions or ciphers offered (try without -tls1_3/-cipher), or may not speak TLS here',
    });
  }
  const reason = (err as { reason?: string }).reason ?? err.message;
  if (/wrong version number|packet length too long|http request/i.test(reason)) {
    return new MailprobeError('TLS_HANDSHAKE', `TLS handshake failed: ${reason}`, {
      cause: err,
      hint: 'this port speaks plaintext: try -starttls PROTO, or -plain',
    });
  }
  if (/unsupported protocol|no protocols available|version too low|alert protocol version/i.test(reason)) {
    return new MailprobeError('TLS_HANDSHAKE', `TLS handshake failed: no TLS version in common (${reason})`, {
      cause: err,
      hint: 'the server may only speak TLS 1.0/1.1, which this Node.js build refuses',
    });
  }
  return new MailprobeError('TLS_HANDSHAKE', `TLS handshake failed: ${reason}`, { cause: err });
}
