// Property-based fuzzing of the load run's ReplyReader: any bytes, any chunking, must give
// the replies that reading the whole input line by line gives (RFC 5321 §4.2: "ddd-" goes
// on, anything else ends the reply; a line that is not "ddd" + SP/-/end has code 0).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyReader, type LoadReply } from '../../src/protocols/smtp/replyReader.js';
import { Watchdog } from '../../src/load/watchdog.js';
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

/** Replies handed over, and how the connection ended ('' for a plain close). */
function collector() {
  const replies: LoadReply[] = [];
  const ends: string[] = [];
  return { replies, ends, handler: { reply: (reply: LoadReply) => replies.push(reply), end: (error?: Error) => ends.push(error?.message ?? '') } };
}

function read(chunks: Buffer[], pendingFirst: boolean): LoadReply[] {
  const socket = new FakeSocket();
  const [first, ...rest] = chunks;
  const { replies, ends, handler } = collector();
  new ReplyReader(socket as unknown as Socket, handler, pendingFirst ? first : undefined);
  for (const chunk of pendingFirst ? rest : chunks) socket.emit('data', chunk);
  socket.emit('close');
  socket.emit('close');
  expect(ends).toEqual(['']); // told once, however often the socket says it
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
        expect(read(split(bytes, sizes), pendingFirst)).toEqual(reference(bytes));
      }),
      budget(),
    );
  });

  it('matches line-by-line reading on well-formed and broken replies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { maxLength: 8 }), cutsArb, async (replies, sizes) => {
        const bytes = Buffer.concat(replies);
        const got = read(split(bytes, sizes), false);
        expect(got).toEqual(reference(bytes));
      }),
      budget(),
    );
  });

  it('keeps every line of a reply while asked (the EHLO capabilities)', () => {
    const socket = new FakeSocket();
    const { replies, handler } = collector();
    const reader = new ReplyReader(socket as unknown as Socket, handler, undefined, true);
    socket.emit('data', latin1('250-mx.test\r\n250-PIPE'));
    socket.emit('data', latin1('LINING\r\n250 CHUNKING\r\n'));
    expect(replies).toEqual([{ code: 250, text: '250 CHUNKING', lines: ['250-mx.test', '250-PIPELINING', '250 CHUNKING'] }]);
    reader.close();
  });

  it('ends the connection, once, on a line without an end, and stops handing over replies', () => {
    const socket = new FakeSocket();
    const { replies, ends, handler } = collector();
    new ReplyReader(socket as unknown as Socket, handler);
    socket.emit('data', latin1('250 ok\r\n'));
    socket.emit('data', Buffer.alloc(70 * 1024, 0x41));
    socket.emit('data', latin1('\r\n250 late\r\n'));
    socket.emit('close');
    expect(replies.map((reply) => reply.text)).toEqual(['250 ok']);
    expect(ends).toEqual(['the server sent a line longer than 65536 bytes']);
    expect(socket.destroyed).toBe(true);
  });

  it('hands over no reply after the handler closed it in the middle of a chunk', () => {
    const socket = new FakeSocket();
    const replies: string[] = [];
    const reader: ReplyReader = new ReplyReader(socket as unknown as Socket, {
      reply: (reply) => {
        replies.push(reply.text);
        reader.close();
      },
      end: () => replies.push('end'),
    });
    socket.emit('data', latin1('250 one\r\n250 two\r\n'));
    socket.emit('close');
    expect(replies).toEqual(['250 one']);
  });
});

describe('Watchdog: one timer for every connection of a load run', () => {
  it('expires a connection past its deadline, never before it, and stops ticking when nothing is watched', async () => {
    const watchdog = new Watchdog(10);
    const expired: string[] = [];
    const soon = { deadline: 0, expire: () => expired.push('soon') };
    const later = { deadline: 0, expire: () => expired.push('later') };
    watchdog.watch(soon);
    watchdog.watch(later);
    soon.deadline = watchdog.after(30);
    later.deadline = watchdog.after(60_000);
    const set = performance.now();
    while (expired.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(performance.now() - set).toBeGreaterThanOrEqual(30);
    expect(expired).toEqual(['soon']);
    watchdog.unwatch(soon);
    watchdog.unwatch(later);
    expect((watchdog as unknown as { timer: unknown }).timer).toBeUndefined();
  });
});
