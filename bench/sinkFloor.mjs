// The runtime's floor for `mailprobe sink`: an SMTP receiver with nothing else — greeting,
// EHLO (PIPELINING), 250 to MAIL and RCPT, 354 to DATA, the message skipped to its dot, 250,
// 221 to QUIT; no bounds, no checks, no report. Prints "listening on 127.0.0.1:PORT".
// Usage: node sinkFloor.mjs
import { createServer } from 'node:net';

// As mailprobe sink does (src/transport/listener.ts): on Linux an accepted socket inherits
// the listener's TCP_NODELAY, set there once instead of with a system call per connection.
let listenerNoDelay = false;
const server = createServer((socket) => {
  if (!listenerNoDelay) socket.setNoDelay(true);
  let buffer = '';
  let inData = false;
  socket.write('220 floor ESMTP\r\n');
  socket.on('data', (chunk) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      if (inData) {
        const end = buffer.indexOf('\r\n.\r\n');
        if (end === -1) {
          // Keep the last bytes: the end mark may straddle two chunks.
          buffer = buffer.slice(-4);
          return;
        }
        buffer = buffer.slice(end + 5);
        inData = false;
        socket.write('250 2.0.0 Ok: queued\r\n');
        continue;
      }
      const lf = buffer.indexOf('\n');
      if (lf === -1) return;
      const verb = buffer.slice(0, 4).toUpperCase();
      buffer = buffer.slice(lf + 1);
      if (verb === 'EHLO') socket.write('250-floor\r\n250 PIPELINING\r\n');
      else if (verb === 'DATA') {
        inData = true;
        // The dot may follow at once: the search starts at the CRLF before the content.
        buffer = '\r\n' + buffer;
        socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
      } else if (verb === 'QUIT') {
        socket.end('221 Bye\r\n');
        return;
      } else socket.write('250 2.1.0 Ok\r\n');
    }
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => {
  listenerNoDelay = process.platform === 'linux' && server._handle.setNoDelay(true) === 0;
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGINT', () => process.exit(0));
