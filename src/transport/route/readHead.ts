// Reads a proxy's answer off a socket: bytes until the answer is complete, never more than
// a bound, within the route's deadline. What came after the answer is put back on the
// socket: it is the server's, already (a greeting may ride in the proxy's last packet).
import type { Socket } from 'node:net';

/** How many bytes of `bytes` the answer takes, once they hold all of it; undefined while more is needed. */
export type AnswerLength = (bytes: Buffer) => number | undefined;

export class HeadError extends Error {
  constructor(
    message: string,
    readonly received: Buffer,
  ) {
    super(message);
  }
}

/** The answer's bytes; rejects with HeadError (closed, too long) or the socket's error. */
export function readHead(socket: Socket, length: AnswerLength, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0);
    const finish = (error?: Error) => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', finish);
      socket.pause();
      if (error) return reject(error);
      const n = length(bytes) as number;
      if (bytes.length > n) socket.unshift(bytes.subarray(n));
      resolve(bytes.subarray(0, n));
    };
    const onData = (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const n = length(bytes);
      if (n !== undefined) return finish();
      if (bytes.length > maxBytes) finish(new HeadError(`the proxy's answer ran past ${maxBytes} bytes`, bytes.subarray(0, maxBytes)));
    };
    const onEnd = () => finish(new HeadError('the proxy closed the connection', bytes));
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('error', finish);
    socket.resume();
  });
}
