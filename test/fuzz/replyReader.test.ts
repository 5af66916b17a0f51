// Property-based fuzzing of the load run's ReplyReader: any bytes, any chunking, must give
// the replies that reading the whole input line by line gives (RFC 5321 §4.2: "ddd-" goes
// on, anything else ends the reply; a line that is not "ddd" + SP/-/end has code 0).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyReader, type LoadReply } from '../../src/protocols/smtp/replyReader.js';
import { budget, bytesArb, cutsArb, latin1, split } from './support.js';

class FakeSocket extends EventEmitter {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
}

function reference(bytes: Buffer): LoadReply[] {
  const text = bytes.toString('latin1');
  const lines = text.split('\n').slice(0, -1).map((line) => line.replace(/\r$/, ''));
  const replies: LoadReply[] = [];
  for (const line of lines) {
    const match = /^([2-5]\d\d)([ -]|$)/.exec(line);
    if (match && match[2] === '-') continue;
    replies.push({ code: match ? Number(match[1]) : 0, text: line });
  }
  return replies;
}

async function read(chunks: Buffer[], pendingFirst: boolean): Promise<LoadReply[]> {
  const socket = new FakeSocket();
  const [first, ...rest] = chunks;
  const reader = new ReplyReader(socket as unknown as Socket, pendingFirst ? first : Buffer.alloc(0), 60_000);
  for (const chunk of pendingFirst ? rest : chunks) socket.emit('data', chunk);
  const replies: LoadReply[] = [];
  socket.emit('close');
  for (;;) {
    try {
      replies.push(await reader.next());
    } catch {
      break;
    }
  }
  return replies;
}

const replyArb = fc
  .tuple(fc.constantFrom('220', '250', '354', '451', '550', '199', '600', '25', 'abc'), fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }), fc.string({ maxLength: 10 }), fc.constantFrom('\r\n', '\n'))
  .map(([code, more, last, ending]) => latin1([...more.map((t) => `${code}-${t.replace(/[\r\n]/g, '')}`), `${code} ${last.replace(/[\r\n]/g, '')}`].join(ending) + ending));

describe('ReplyReader: reply codes from any bytes, however they are cut', () => {
  it('matches line-by-line reading on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb(400), cutsArb, fc.boolean(), async (bytes, sizes, pendingFirst) => {
        // A line over 64 KiB cannot come out of 400 bytes: the reader must never fail here.
        expect(await read(split(bytes, sizes), pendingFirst)).toEqual(reference(bytes));
      }),
      budget(),
    );
  });

  it('matches line-by-line reading on well-formed and broken replies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { maxLength: 8 }), cutsArb, async (replies, sizes) => {
        const bytes = Buffer.concat(replies);
        const got = await read(split(bytes, sizes), false);
        expect(got).toEqual(reference(bytes));
      }),
      budget(),
    );
  });

  it('keeps every line of a reply while asked (the EHLO capabilities)', async () => {
    const socket = new FakeSocket();
    const reader = new ReplyReader(socket as unknown as Socket, Buffer.alloc(0), 60_000, true);
    socket.emit('data', latin1('250-mx.test\r\n250-PIPE'));
    socket.emit('data', latin1('LINING\r\n250 CHUNKING\r\n'));
    expect(await reader.next()).toEqual({ code: 250, text: '250 CHUNKING', lines: ['250-mx.test', '250-PIPELINING', '250 CHUNKING'] });
    reader.close();
  });

  it('fails a waiting reader when the server closes, and one that waits too long', async () => {
    const socket = new FakeSocket();
    const reader = new ReplyReader(socket as unknown as Socket, Buffer.alloc(0), 60_000);
    const pending = reader.next();
    socket.emit('close');
    await expect(pending).rejects.toThrow(/closed the connection/);
    const slow = new ReplyReader(new FakeSocket() as unknown as Socket, Buffer.alloc(0), 50);
    await expect(slow.next()).rejects.toThrow(/no reply from the server after 0.05 s/);
  });
});
