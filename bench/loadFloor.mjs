// The runtime's floor for `mailprobe load`: the same SMTP dialogue as smtp-source (EHLO once
// per connection, then MAIL, RCPT, DATA, the message, and QUIT) with no features at all. The
// message is the one `load --size 4k` sends, byte for byte in length: the same five headers
// (Date, From, To, Subject, Message-ID) over a 4,096-byte body. With "pipelining", the floor
// of load's default dialogue against a PIPELINING server: MAIL, RCPT and DATA in one write,
// that of every message after the first in the same write as the end of the one before, and
// the last message's end with QUIT. It reads the way load does, the cheapest Node offers: into
// one buffer for every connection (net.connect's onread), with no Buffer or 'data' event per read,
// and through frozen options (see below).
// Usage: node loadFloor.mjs port messages connections messages-per-connection [pipelining]
import { connect } from 'node:net';

const [port, total, lanes, perConnection] = process.argv.slice(2, 6).map(Number);
const pipelining = process.argv[6] === 'pipelining';
const body = Buffer.alloc(4096, 'x');
for (let i = 76; i < body.length; i += 78) body.write('\r\n', i);
body.write('\r\n', body.length - 2);
let remaining = total;
const READ = Buffer.allocUnsafe(64 * 1024);
const run = 'f1002a3b';
let sequence = 0;
let second = -1;
let date = '';
function headers() {
  const now = Date.now();
  if (Math.floor(now / 1000) !== second) {
    second = Math.floor(now / 1000);
    date = new Date(now).toUTCString().replace('GMT', '+0000');
  }
  const n = ++sequence;
  return `Date: ${date}\r\nFrom: <a@floor.test>\r\nTo: <b@floor.test>\r\nSubject: mailprobe load ${run} #${n}\r\nMessage-ID: <${run}.${n}@floor.test>\r\n\r\n`;
}

/** One connection: sends its messages, resolves once the server has said goodbye. */
function connection() {
  return new Promise((resolve) => {
    // Frozen options, as load's: Node's Socket copies them, and on Node 20 a copy of options
    // that are not frozen costs ~11 µs a socket in new hidden classes and inline-cache misses.
    const socket = connect(Object.freeze({ port, host: '127.0.0.1', noDelay: true, onread: { buffer: READ, callback: (length, buffer) => void received(buffer.subarray(0, length)) } }));
    let buffer = '';
    let state = 'greeting';
    let sent = 0;
    // What to send when the reply to the current state's command has come.
    const after = {
      greeting: () => (socket.write('EHLO floor.test\r\n'), 'ehlo'),
      ehlo: () => message(),
      mail: () => (pipelining ? 'rcpt' : (socket.write('RCPT TO:<b@floor.test>\r\n'), 'rcpt')),
      rcpt: () => (pipelining ? 'data' : (socket.write('DATA\r\n'), 'data')),
      data: () => {
        // With PIPELINING, the next envelope (or QUIT, after the last message) goes with the end.
        const last = sent === perConnection || remaining <= 0;
        socket.cork();
        socket.write(headers(), 'latin1');
        socket.write(body);
        if (!pipelining) socket.write('.\r\n');
        else if (last) socket.write('.\r\nQUIT\r\n');
        else {
          remaining--;
          sent++;
          socket.write('.\r\nMAIL FROM:<a@floor.test>\r\nRCPT TO:<b@floor.test>\r\nDATA\r\n');
        }
        socket.uncork();
        return !pipelining ? 'dot' : last ? 'dotQuit' : 'dotNext';
      },
      dot: () => message(),
      dotNext: () => 'mail',
      dotQuit: () => 'quit',
      quit: () => (socket.destroy(), resolve(), 'closed'),
    };
    function message() {
      if (sent === perConnection || remaining <= 0) {
        socket.write('QUIT\r\n');
        return 'quit';
      }
      remaining--;
      sent++;
      socket.write(pipelining ? 'MAIL FROM:<a@floor.test>\r\nRCPT TO:<b@floor.test>\r\nDATA\r\n' : 'MAIL FROM:<a@floor.test>\r\n');
      return 'mail';
    }
    function received(chunk) {
      buffer += chunk.toString('latin1');
      for (let lf = buffer.indexOf('\n'); lf !== -1 && state !== 'closed'; lf = buffer.indexOf('\n')) {
        const line = buffer.slice(0, lf);
        buffer = buffer.slice(lf + 1);
        if (line[3] !== '-') state = after[state]();
      }
    }
  });
}

async function lane() {
  while (remaining > 0) await connection();
}

await Promise.all(Array.from({ length: lanes }, lane));
