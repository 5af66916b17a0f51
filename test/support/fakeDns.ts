// An in-process DNS resolver on 127.0.0.1 (UDP and TCP on one port) that answers exactly as
// a test says: the AD bit, SERVFAIL, truncation, another id; every question is recorded.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import * as packet from 'dns-packet';
import { StubResolver } from '../../src/dns/stub.js';

export type Query = { name: string; type: string; cd: boolean; tcp: boolean };
export type Reply = { rcode?: string; ad?: boolean; tc?: boolean; answers?: packet.Answer[]; id?: number; silent?: boolean; extra?: Reply };
export type Zone = (query: Query) => Reply;

const RCODES: Record<string, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };

function response(request: packet.Packet, reply: Reply): Buffer {
  const flags = (reply.ad ? packet.AUTHENTIC_DATA : 0) | (reply.tc ? packet.TRUNCATED_RESPONSE : 0) | packet.RECURSION_AVAILABLE | RCODES[reply.rcode ?? 'NOERROR'];
  return packet.encode({ type: 'response', id: reply.id ?? request.id, flags, questions: request.questions, answers: reply.answers ?? [] });
}

/** A resolver on 127.0.0.1 (UDP and TCP on one port); records every question. */
export async function fakeDns(zone: Zone): Promise<{ resolver: StubResolver; address: string; queries: Query[]; close(): void }> {
  const queries: Query[] = [];
  const ask = (bytes: Buffer, tcp: boolean) => {
    const request = packet.decode(bytes);
    const question = request.questions![0];
    const query = { name: question.name, type: question.type, cd: !!((request.flags ?? 0) & packet.CHECKING_DISABLED), tcp };
    queries.push(query);
    return { request, reply: zone(query) };
  };
  for (;;) {
    const udp: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp: Server = createServer((socket) => {
      socket.once('data', (data) => {
        const { request, reply } = ask(data.subarray(2), true);
        const bytes = response(request, reply);
        const length = Buffer.alloc(2);
        length.writeUInt16BE(bytes.length);
        socket.end(Buffer.concat([length, bytes]));
      });
    });
    const bound = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) {
      udp.close();
      continue;
    }
    udp.on('message', (message, from) => {
      const { request, reply } = ask(message, false);
      for (let each: Reply | undefined = reply; each; each = each.extra) {
        if (!each.silent) udp.send(response(request, each), from.port, from.address);
      }
    });
    const close = () => {
      udp.close();
      tcp.close();
    };
    return { resolver: new StubResolver([{ host: '127.0.0.1', port }], 1_000), address: `127.0.0.1:${port}`, queries, close };
  }
}


export const aRecord = (name: string, data: string): packet.Answer => ({ type: 'A', name, data, ttl: 60, class: 'IN' });
export const mxRecord = (name: string, preference: number, exchange: string): packet.Answer => ({ type: 'MX', name, data: { preference, exchange }, ttl: 60, class: 'IN' });
