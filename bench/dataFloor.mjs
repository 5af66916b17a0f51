// The runtime's floor for a message given on standard input: the dialogue the benchmarked
// session speaks (greeting, EHLO, STARTTLS, handshake, the EHLO mailprobe sends itself over
// TLS, then the script's EHLO, MAIL, RCPT and DATA each answered), after which the rest of
// standard input (the content, its ".", QUIT) is piped into TLS as read, with no checks at
// all; the replies go to standard output.
// Usage: node dataFloor.mjs host port < script
import { createReadStream, fstatSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { replies } from './floorReplies.mjs';

const [host, port] = process.argv.slice(2);
// A file is read in 1 MB pieces, as mailprobe reads one; a pipe as Node reads it.
const stdin = fstatSync(0).isFile() ? createReadStream('', { fd: 0, highWaterMark: 1 << 20 }) : process.stdin;

/** The script's lines up to and including DATA, and the bytes after them. */
function head() {
  return new Promise((resolve) => {
    let text = Buffer.alloc(0);
    const onData = (chunk) => {
      text = Buffer.concat([text, chunk]);
      const at = text.indexOf('DATA\r\n');
      if (at === -1) return;
      stdin.off('data', onData);
      stdin.pause();
      const end = at + 'DATA\r\n'.length;
      resolve({ lines: text.subarray(0, end).toString('latin1').split('\r\n').slice(0, -1), rest: text.subarray(end) });
    };
    stdin.on('data', onData);
  });
}

const script = head();
const raw = connect({ host, port: Number(port), noDelay: true });
let next = replies(raw, { echo: true });
await next();
raw.write('EHLO bench.test\r\n');
await next();
raw.write('STARTTLS\r\n');
await next();
raw.removeAllListeners('data');
const secure = tlsConnect({ socket: raw, rejectUnauthorized: false });
await new Promise((resolve) => secure.once('secureConnect', resolve));
next = replies(secure, { echo: true });
// Capabilities learned before TLS are not trusted after it: mailprobe asks again.
secure.write('EHLO bench.test\r\n');
await next();
const { lines, rest } = await script;
for (const line of lines) {
  secure.write(`${line}\r\n`);
  await next();
}
secure.write(rest);
stdin.pipe(secure, { end: false });
await next(); // the message's 250
await next(); // QUIT's 221
process.exit(0);
