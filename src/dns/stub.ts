// A DNS stub resolver of mailprobe's own: Node's `dns` module can ask for neither TLSA nor
// the AD bit. Queries go to the nameservers given (--resolver, else /etc/resolv.conf) over
// UDP with EDNS0 and the DO bit, and again over TCP when the answer is truncated. DNSSEC
// status is the resolver's word, as a stub's must be (RFC 4035 §3.2.3, RFC 6698 §4.1): AD
// set means secure; SERVFAIL that turns into an answer when checking is disabled (CD)
// means the data is bogus. That trusts the resolver and the path to it.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import type * as packet from 'dns-packet';
import { MailprobeError } from '../errors.js';
import { requireOnUse } from '../requireOnUse.js';

type PacketModule = typeof import('dns-packet');
let packetModule: PacketModule | undefined;
/**
 * The DNS packet codec, required on first use: the bundle leaves it out (scripts/build.mjs),
 * so a run that asks no DNS question does not load its ~35 KB and its table of record types.
 */
const codec = (): PacketModule => (packetModule ??= requireOnUse<PacketModule>('dns-packet'));

export interface Nameserver {
  host: string;
  port: number;
}

export type DnssecStatus = 'secure' | 'insecure' | 'bogus';

/** An answer record as dns-packet decodes it; `data` is the type's own shape. */
export interface DnsRecord {
  name: string;
  type: string;
  data: unknown;
}

export interface DnsAnswer {
  rcode: string;
  /** The resolver validated the answer (AD bit). */
  authentic: boolean;
  answers: DnsRecord[];
}

const recordsOf = (answer: packet.Packet): DnsRecord[] => (answer.answers ?? []).filter((record) => record.type !== 'OPT') as DnsRecord[];

/** A UDP answer larger than this is asked for over TCP instead (RFC 9715's safe size). */
const UDP_PAYLOAD = 1232;
/** TCP answers carry a two-byte length: nothing larger can come, and nothing more is read. */
const MAX_TCP = 65_535 + 2;

export function dnsError(message: string, hint?: string): MailprobeError {
  return new MailprobeError('DNS', message, { hint: hint ?? 'check the name, or ask another resolver with --resolver IP' });
}

function query(name: string, type: packet.RecordType, checkingDisabled: boolean): { id: number; bytes: Buffer } {
  const id = randomInt(0, 65_536);
  const flags = codec().RECURSION_DESIRED | (checkingDisabled ? codec().CHECKING_DISABLED : 0);
  const bytes = codec().encode({
    type: 'query',
    id,
    flags,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD, flags: codec().DNSSEC_OK } as unknown as packet.Answer],
  });
  return { id, bytes };
}

/** The answer to this question, or undefined for bytes that are not (spoofing, stale, garbage). */
function answerTo(bytes: Buffer, id: number, name: string, type: string): packet.Packet | undefined {
  let decoded: packet.Packet;
  try {
    decoded = codec().decode(bytes);
  } catch {
    return undefined;
  }
  const question = decoded.questions?.[0];
  if (decoded.id !== id || decoded.type !== 'response' || !question) return undefined;
  if (question.name.toLowerCase() !== name.toLowerCase() || question.type !== type) return undefined;
  return decoded;
}

function overUdp(server: Nameserver, name: string, type: packet.RecordType, cd: boolean, timeoutMs: number): Promise<packet.Packet> {
  const { id, bytes } = query(name, type, cd);
  return new Promise((resolve, reject) => {
    const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(dnsError(`the resolver ${describe(server)} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const finish = (result: packet.Packet | Error) => {
      clearTimeout(timer);
      socket.close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.on('message', (message, from) => {
      if (from.port !== server.port) return;
      const answer = answerTo(message, id, name, type);
      if (answer) finish(answer);
    });
    socket.on('error', (error) => finish(dnsError(`asking ${describe(server)} failed: ${error.message}`)));
    socket.send(bytes, server.port, server.host);
  });
}

function overTcp(server: Nameserver, name: string, type: packet.RecordType, cd: boolean, timeoutMs: number): Promise<packet.Packet> {
  const { id, bytes } = query(name, type, cd);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: server.host, port: server.port });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => finish(dnsError(`the resolver ${describe(server)} did not answer over TCP within ${timeoutMs / 1000} s`)), timeoutMs);
    const finish = (result: packet.Packet | Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(bytes.length);
      socket.write(Buffer.concat([length, bytes]));
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      const all = Buffer.concat(chunks);
      if (all.length >= 2 && all.length >= all.readUInt16BE(0) + 2) {
        const answer = answerTo(all.subarray(2, all.readUInt16BE(0) + 2), id, name, type);
        finish(answer ?? dnsError(`the resolver ${describe(server)} sent an answer to another question over TCP`));
      } else if (received > MAX_TCP) finish(dnsError(`the resolver ${describe(server)} sent more than a DNS message over TCP`));
    });
    socket.on('error', (error) => finish(dnsError(`asking ${describe(server)} over TCP failed: ${error.message}`)));
    socket.on('close', () => finish(dnsError(`the resolver ${describe(server)} closed the TCP connection before answering`)));
  });
}

/** The response code dns-packet decodes but does not declare. */
const rcodeOf = (answer: packet.Packet): string => (answer as packet.Packet & { rcode?: string }).rcode ?? 'NOERROR';

export function describe(server: Nameserver): string {
  return server.host.includes(':') ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

export class StubResolver {
  constructor(
    readonly servers: Nameserver[],
    private readonly timeoutMs = 5_000,
  ) {}

  /** One question, to each server in turn until one answers; UDP first, TCP when truncated. */
  async ask(name: string, type: packet.RecordType, cd = false): Promise<packet.Packet> {
    let last: Error | undefined;
    for (const server of this.servers) {
      try {
        const answer = await overUdp(server, name, type, cd, this.timeoutMs);
        if (!(answer.flags !== undefined && answer.flags & codec().TRUNCATED_RESPONSE)) return answer;
        return await overTcp(server, name, type, cd, this.timeoutMs);
      } catch (error) {
        last = error as Error;
      }
    }
    throw last ?? dnsError('no resolver to ask', 'give one with --resolver IP');
  }

  /**
   * The records of `type` at `name` with their DNSSEC status. SERVFAIL is asked again with
   * checking disabled: an answer then means validation failed (bogus), none that the
   * resolver could not answer at all.
   */
  async lookup(name: string, type: packet.RecordType): Promise<DnsAnswer & { status: DnssecStatus }> {
    const answer = await this.ask(name, type);
    if (rcodeOf(answer) !== 'SERVFAIL') {
      const authentic = !!(answer.flags !== undefined && answer.flags & codec().AUTHENTIC_DATA);
      return { rcode: rcodeOf(answer), authentic, answers: recordsOf(answer), status: authentic ? 'secure' : 'insecure' };
    }
    const unchecked = await this.ask(name, type, true);
    if (rcodeOf(unchecked) === 'SERVFAIL') throw dnsError(`the resolver could not answer for ${name} ${type} (SERVFAIL)`);
    return { rcode: rcodeOf(unchecked), authentic: false, answers: recordsOf(unchecked), status: 'bogus' };
  }
}
