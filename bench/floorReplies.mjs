// The bare-Node floors' reply reader: nothing but the end of each SMTP reply found.
/**
 * Replies from `socket` as they complete; next() is the oldest one not yet taken (two may come
 * in one read). `echo` writes each to standard output.
 */
export function replies(socket, { echo = false } = {}) {
  let buffer = '';
  const waiting = [];
  const unclaimed = [];
  socket.on('data', (chunk) => {
    buffer += chunk.toString('latin1');
    for (let m = /(^|\n)\d{3} [^\n]*\n/.exec(buffer); m; m = /(^|\n)\d{3} [^\n]*\n/.exec(buffer)) {
      const end = m.index + m[0].length;
      const reply = buffer.slice(0, end);
      buffer = buffer.slice(end);
      if (echo) process.stdout.write(reply);
      const taker = waiting.shift();
      if (taker) taker(reply);
      else unclaimed.push(reply);
    }
  });
  return () => (unclaimed.length > 0 ? Promise.resolve(unclaimed.shift()) : new Promise((resolve) => waiting.push(resolve)));
}
