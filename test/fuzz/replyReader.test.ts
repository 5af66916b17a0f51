// Property-based fuzzing of the load run's ReplyReader: any bytes, any chunking, must give
// the replies that reading the whole input line by line gives (RFC 5321 §4.2: "ddd-" goes
// on, anything else ends the reply; a line that is not "ddd" + SP/-/end has code 0).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replyLines, ReplyReader, type LoadReply } from '../../src/protocols/smtp/replyReader.js';
import { Watchdog } from '../../src/load/watchdog.js';
import { budget, bytesArb, cutsArb, latin1, split } from './support.js';

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

/** The replies, and with keepRaw each one's bytes put back together. */
function read(chunks: Buffer[], keepRaw: boolean): { replies: LoadReply[]; raw: Buffer } {
  const { replies, ends, handler } = collector();
  const reader = new ReplyReader(handler, keepRaw);
  for (const chunk of chunks) reader.receive(chunk);
  reader.end();
  reader.end();
  expect(ends).toEqual(['']); // told once, however often the connection says it
  const raw = Buffer.concat(replies.map((reply) => reply.raw ?? Buffer.alloc(0)));
  return { replies: replies.map(({ code, text }) => ({ code, text })), raw };
}

/** The bytes up to the end of the last complete reply (what keepRaw hands back, in all). */
function replied(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1');
  let end = 0;
  for (let at = 0, lf = text.indexOf('\n'); lf !== -1; at = lf + 1, lf = text.indexOf('\n', at)) {
    if (!/^[2-5]\d\d-/.test(text.slice(at, lf))) end = lf + 1;
  }
  return bytes.subarray(0, end);
}

const replyArb = fc
  .tuple(fc.constantFrom('220', '250', '354', '451', '550', '199', '600', '25', 'abc'), fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }), fc.string({ maxLength: 10 }), fc.constantFrom('\r\n', '\n'))
  .map(([code, more, last, ending]) => latin1([...more.map((t) => `${code}-${t.replace(/[\r\n]/g, '')}`), `${code} ${last.replace(/[\r\n]/g, '')}`].join(ending) + ending));

describe('ReplyReader: reply codes from any bytes, however they are cut', () => {
  it('matches line-by-line reading on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(bytesArb(400), cutsArb, fc.boolean(), async (bytes, sizes, keepRaw) => {
        // A line over 64 KiB cannot come out of 400 bytes: the reader must never fail here.
        const { replies, raw } = read(split(bytes, sizes), keepRaw);
        expect(replies).toEqual(reference(bytes));
        // Every reply's bytes, however cut, are the input's bytes of that reply.
        if (keepRaw) expect(raw.equals(replied(bytes))).toBe(true);
      }),
      budget(),
    );
  });

  it('matches line-by-line reading on well-formed and broken replies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { maxLength: 8 }), cutsArb, async (replies, sizes) => {
        const bytes = Buffer.concat(replies);
        const { replies: got, raw } = read(split(bytes, sizes), true);
        expect(got).toEqual(reference(bytes));
        expect(raw.equals(replied(bytes))).toBe(true);
      }),
      budget(),
    );
  });

  it('reads from a borrowed buffer (onread): texts right while handled; later a refusal keeps its text, a positive reply its code alone', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyArb, { maxLength: 8 }), cutsArb, fc.boolean(), async (replies, sizes, keepRaw) => {
        const bytes = Buffer.concat(replies);
        const shared = Buffer.alloc(bytes.length + 1);
        const handled: LoadReply[] = [];
        const kept: LoadReply[] = [];
        const raws: Buffer[] = [];
        const reader = new ReplyReader(
          {
            reply: (reply) => {
              handled.push({ code: reply.code, text: reply.text });
              kept.push(reply);
              if (reply.raw) raws.push(reply.raw);
            },
            end: () => {},
          },
          keepRaw,
          true,
        );
        for (const chunk of split(bytes, sizes)) {
          chunk.copy(shared);
          reader.receive(shared.subarray(0, chunk.length));
          shared.fill(0x58); // the socket's next read overwrites the buffer
        }
        const expected = reference(bytes);
        expect(handled).toEqual(expected);
        expect(kept.map((reply) => reply.text)).toEqual(expected.map(({ code, text }) => (code >= 200 && code < 400 ? String(code) : text)));
        if (keepRaw) expect(Buffer.concat(raws).equals(replied(bytes))).toBe(true);
      }),
      budget(),
    );
  });

  it("keeps a reply's bytes while asked (the EHLO capabilities), however they are cut", () => {
    const { replies, handler } = collector();
    const reader = new ReplyReader(handler, true);
    reader.receive(latin1('250-mx.test\r\n250-PIPE'));
    reader.receive(latin1('LINING\r\n250 CHUNKING\r\n'));
    expect(replies.map((reply) => [reply.code, reply.text, replyLines(reply.raw as Buffer)])).toEqual([[250, '250 CHUNKING', ['250-mx.test', '250-PIPELINING', '250 CHUNKING']]]);
  });

  it('ends the connection, once, on a line without an end, and stops handing over replies', () => {
    const { replies, ends, handler } = collector();
    const reader = new ReplyReader(handler);
    reader.receive(latin1('250 ok\r\n'));
    reader.receive(Buffer.alloc(70 * 1024, 0x41));
    reader.receive(latin1('\r\n250 late\r\n'));
    reader.end();
    expect(replies.map((reply) => reply.text)).toEqual(['250 ok']);
    expect(ends).toEqual(['the server sent a line longer than 65536 bytes']);
  });

  it('hands over no reply after the handler closed it in the middle of a chunk', () => {
    const replies: string[] = [];
    const reader: ReplyReader = new ReplyReader({
      reply: (reply) => {
        replies.push(reply.text);
        reader.close();
      },
      end: () => replies.push('end'),
    });
    reader.receive(latin1('250 one\r\n250 two\r\n'));
    reader.end();
    expect(replies).toEqual(['250 one']);
  });
});

describe('Watchdog: one timer for every connection of a load run', () => {
  it('expires a connection past its deadline, never before it, and stops ticking when nothing is watched', async () => {
    const watchdog = new Watchdog(10);
    const expired: string[] = [];
    const soon = { deadline: 0, watchSlot: -1, expire: () => expired.push('soon') };
    const later = { deadline: 0, watchSlot: -1, expire: () => expired.push('later') };
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

describe('Watchdog: items leaving and joining while it ticks', () => {
  it('expires every item past its deadline exactly once, whatever order they leave in, and keeps the rest', async () => {
    const watchdog = new Watchdog(5);
    const expired: number[] = [];
    const items = Array.from({ length: 12 }, (_, n) => {
      const item = {
        deadline: 0,
        watchSlot: -1,
        expire: () => {
          expired.push(n);
          watchdog.unwatch(item);
          // What a closed connection does: the lane opens the next one at once.
          const next = { deadline: watchdog.after(60_000), watchSlot: -1, expire: () => expired.push(100 + n) };
          watchdog.watch(next);
          fresh.push(next);
        },
      };
      return item;
    });
    const fresh: { watchSlot: number }[] = [];
    for (const item of items) watchdog.watch(item);
    watchdog.watch(items[0]); // twice: still once
    const due = [0, 3, 4, 7, 11];
    for (const [n, item] of items.entries()) item.deadline = watchdog.after(due.includes(n) ? 1 : 60_000);
    while (expired.length < due.length) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 30)); // a few more ticks: nothing twice
    expect([...expired].sort((a, b) => a - b)).toEqual(due);
    const watched = (watchdog as unknown as { watched: { watchSlot: number }[] }).watched;
    expect(watched).toHaveLength(items.length);
    for (const [slot, item] of watched.entries()) expect(item.watchSlot).toBe(slot);
    for (const item of [...items.filter((_, n) => !due.includes(n)), ...fresh]) watchdog.unwatch(item);
    expect(watched).toHaveLength(0);
    expect((watchdog as unknown as { timer: unknown }).timer).toBeUndefined();
  });
});
