// An in-process SMTP server for load tests that counts what arrives: connections, commands,
// messages (headers and body size), QUITs.
import { fakeServer, type FakeClient, type FakeServer } from './fakeServer.js';

export interface Seen {
  messages: { headers: string[]; bodyBytes: number }[];
  commands: string[];
  quits: number;
  /** QUITs that had arrived before the final reply to the message before them was sent (pipelined with it). */
  quitsAlong: number;
  /** Messages whose final reply found the next envelope (up to its DATA) arrived already. */
  envelopesAhead: number;
  connections: number;
}

/** Reads a message's lines (headers, blank line, body): up to the dot, or `size` bytes (BDAT). */
export async function readMessage(client: FakeClient, size?: number): Promise<{ headers: string[]; bodyBytes: number }> {
  const headers: string[] = [];
  let bodyBytes = 0;
  let bytes = 0;
  let inBody = false;
  while (size === undefined || bytes < size) {
    const l = await client.line();
    if (size === undefined && l === '.') break;
    bytes += l.length + 2;
    if (!inBody && l === '') inBody = true;
    else if (inBody) bodyBytes += l.length + 2;
    else headers.push(l);
  }
  return { headers, bodyBytes };
}

/**
 * An SMTP server (PIPELINING, replies in order, CHUNKING when asked) that rejects RCPT to
 * "bad" and 451s "busy".
 */
export async function countingServer(
  seen: Seen,
  offerPipelining = true,
  offerChunking = false,
  options: { holdFinalMs?: number; refuseMessage?: (n: number) => boolean } = {},
): Promise<FakeServer> {
  /**
   * The final reply (a refusal for the messages `refuseMessage` picks, counted from 1), after
   * `holdFinalMs` when asked: what was sent along with the message has arrived by then.
   */
  const final = async (client: FakeClient, reply: string) => {
    if (options.holdFinalMs) {
      await new Promise((resolve) => setTimeout(resolve, options.holdFinalMs));
      if (client.raw.at(-1) === 'QUIT\r\n') seen.quitsAlong++;
      if (client.raw.at(-1) === 'DATA\r\n') seen.envelopesAhead++;
    }
    client.send(options.refuseMessage?.(seen.messages.length) ? '554 5.7.1 content refused\r\n' : reply);
  };
  return fakeServer(async (client: FakeClient) => {
    seen.connections++;
    client.send('220 counting ESMTP\r\n');
    for (;;) {
      const line = await client.line();
      const verb = line.split(/[ :]/)[0].toUpperCase();
      seen.commands.push(verb);
      if (verb === 'EHLO') client.send(`250-counting\r\n${offerPipelining ? '250-PIPELINING\r\n' : ''}${offerChunking ? '250-CHUNKING\r\n' : ''}250 SIZE 100000\r\n`);
      else if (verb === 'MAIL' || verb === 'RSET') client.send('250 ok\r\n');
      else if (verb === 'RCPT') client.send(line.includes('bad') ? '550 5.1.1 no such user\r\n' : line.includes('busy') ? '451 4.3.0 try later\r\n' : line.includes('evil') ? '554 5.7.1 \x1b[2Jdenied\r\n' : '250 ok\r\n');
      else if (verb === 'DATA') {
        client.send('354 go\r\n');
        seen.messages.push(await readMessage(client));
        await final(client, '250 2.0.0 Ok: queued\r\n');
      } else if (verb === 'BDAT' && offerChunking) {
        // The load run's messages are CRLF lines, so the chunk can be read line by line.
        const size = Number(/^BDAT (\d+) LAST$/i.exec(line)?.[1]);
        seen.messages.push(await readMessage(client, size));
        await final(client, '250 2.0.0 Ok: chunked\r\n');
      } else if (verb === 'QUIT') {
        seen.quits++;
        client.send('221 bye\r\n');
        client.end();
        return;
      } else client.send('502 what\r\n');
    }
  });
}

export const fresh = (): Seen => ({ messages: [], commands: [], quits: 0, quitsAlong: 0, envelopesAhead: 0, connections: 0 });

