// DescriptorInput, standard input read into buffers used again: from a regular file, a pipe
// and a pipe someone made non-blocking, every byte arrives in order, a piece not given back
// keeps its bytes however far reading goes on, and buffers are read into again once given back.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PIECE_BYTES, DescriptorInput } from '../../src/session/descriptorInput.js';

const dir = mkdtempSync(join(tmpdir(), 'mailprobe-descriptorinput-'));
afterAll(() => execFileSync('rm', ['-rf', dir]));

/** 5.5 MB that differ from one offset to the next, so a piece read into the wrong place shows. */
function content(): Buffer {
  const bytes = Buffer.alloc(5.5 * PIECE_BYTES);
  for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE(i, i);
  return bytes;
}

/**
 * Reads `input` to its end, keeping the last `hold` pieces before giving each back, and
 * checks every piece still holds what it held when it came; returns the bytes in order and
 * how many distinct buffers the pieces were read into.
 */
function readAll(input: DescriptorInput, hold: number | ((piece: number) => number)): Promise<{ bytes: Buffer; buffers: number; pieces: number }> {
  const holding = typeof hold === 'number' ? () => hold : hold;
  const copies: Buffer[] = [];
  const held: { piece: Buffer; copy: Buffer }[] = [];
  const buffers = new Set<ArrayBufferLike>();
  const release = () => {
    const { piece, copy } = held.shift() as { piece: Buffer; copy: Buffer };
    expect(piece.equals(copy)).toBe(true);
    input.giveBack(piece);
  };
  return new Promise((resolve, reject) => {
    // A failed check rejects at once rather than leaving the stream to time out.
    const checked = (step: () => void) => () => {
      try {
        step();
      } catch (error) {
        input.destroy();
        reject(error);
      }
    };
    input.on('data', (piece: Buffer) =>
      checked(() => {
        const copy = Buffer.from(piece);
        copies.push(copy);
        buffers.add(piece.buffer);
        held.push({ piece, copy });
        while (held.length > holding(copies.length)) release();
      })(),
    );
    input.on('error', reject);
    input.on(
      'end',
      checked(() => {
        while (held.length > 0) release();
        resolve({ bytes: Buffer.concat(copies), buffers: buffers.size, pieces: copies.length });
      }),
    );
  });
}

describe('DescriptorInput', () => {
  const expected = content();
  const file = join(dir, 'message');
  writeFileSync(file, expected);

  /** readAll over the file, opened for it and closed after. */
  const readFile = async (hold: Parameters<typeof readAll>[1]) => {
    const fd = openSync(file, 'r');
    try {
      return await readAll(new DescriptorInput(fd), hold);
    } finally {
      closeSync(fd);
    }
  };

  it('a regular file: in 1 MB pieces, each buffer read into again once given back', async () => {
    const got = await readFile(0);
    expect(got.bytes.equals(expected)).toBe(true);
    expect(got.pieces).toBe(6);
    expect(got.buffers).toBeLessThanOrEqual(2);
  });

  it('a piece not given back keeps its bytes while reading goes on', async () => {
    const got = await readFile(3);
    expect(got.bytes.equals(expected)).toBe(true);
    expect(got.buffers).toBeGreaterThan(3);
  });

  it('pieces given back early and late, mixed: none is read into while held', async () => {
    for (const pattern of [[0, 2, 0, 1, 3], [1, 0, 0, 2], [3, 0, 1]]) {
      const got = await readFile((piece) => pattern[piece % pattern.length]);
      expect(got.bytes.equals(expected)).toBe(true);
    }
  });

  it('a pipe: pieces as the writer gives them, several to a buffer', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    spawn('sh', ['-c', 'cat "$0" > "$1"', file, fifo], { stdio: 'ignore' });
    // Opening a pipe's read end waits for the writer (started above). The DescriptorInput's
    // socket owns the descriptor from then on, and closes it.
    const got = await readAll(new DescriptorInput(openSync(fifo, 'r'), true), (piece) => [0, 2, 0, 1, 3, 9][piece % 6]);
    expect(got.bytes.equals(expected)).toBe(true);
    expect(got.pieces).toBeGreaterThan(6);
    expect(got.buffers).toBeLessThan(got.pieces);
  });

  it('a non-blocking pipe: an empty pipe is waited on, not taken for an error or the end', async () => {
    const fifo = join(dir, 'fifo-nonblocking');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const reading = readAll(new DescriptorInput(fd, true), 0);
    for (const part of ['one\r\n', 'two\r\n', 'three\r\n']) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      writeSync(writer, part);
    }
    closeSync(writer);
    expect((await reading).bytes.toString()).toBe('one\r\ntwo\r\nthree\r\n');
  });
});
