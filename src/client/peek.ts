// Reads a server's first line without taking it: the bytes are put back on the socket for
// the connection that follows, so the greeting is shown and framed as if never peeked.
import type { Socket } from 'node:net';
import { looksLikeTlsRecord } from '../transport/tlsGuard.js';

/** The first line is a greeting; longer than this, it is none mailprobe knows. */
const MAX_PEEK = 4096;

export interface Peeked {
  /** The first line (latin1, without its ending); none when it did not come in time, was TLS or ran past MAX_PEEK bytes. */
  line?: string;
  /** The connection ended while waiting: the socket error, or true for a plain close. */
  ended?: Error | true;
}

/** Waits for the server's first line, at most `timeoutMs`. */
export function peekFirstLine(socket: Socket, timeoutMs: number): Promise<Peeked> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let ended: Error | true | undefined;
    const done = (line: string | undefined) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onEnd);
      socket.pause();
      if (length > 0) socket.unshift(Buffer.concat(chunks));
      resolve({ line, ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      const bytes = Buffer.concat(chunks);
      if (looksLikeTlsRecord(bytes)) return done(undefined);
      const lf = bytes.indexOf(0x0a);
      if (lf >= 0) return done(bytes.toString('latin1', 0, lf).replace(/\r$/, ''));
      if (length > MAX_PEEK) done(undefined);
    };
    const onEnd = (error?: Error) => {
      ended ??= error instanceof Error ? error : true;
      if (error === undefined || error instanceof Error) done(undefined);
    };
    const onClose = () => onEnd();
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onEnd);
  });
}
