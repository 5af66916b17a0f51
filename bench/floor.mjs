// The runtime's floor: the same dialogue as the benchmarked session (greeting, EHLO,
// STARTTLS, handshake, EHLO, QUIT) with no features at all. Usage: node floor.mjs host port ca
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { replies } from './floorReplies.mjs';

const [host, port, caFile] = process.argv.slice(2);
const ca = caFile ? [readFileSync(caFile, 'latin1')] : undefined;

const raw = connect({ host, port: Number(port), noDelay: true });
let next = replies(raw);
await next();
raw.write('EHLO bench.test\r\n');
await next();
raw.write('STARTTLS\r\n');
await next();
raw.removeAllListeners('data');
const secure = tlsConnect({ socket: raw, servername: host === '127.0.0.1' ? undefined : host, ca });
await new Promise((resolve) => secure.once('secureConnect', resolve));
next = replies(secure);
secure.write('EHLO bench.test\r\n');
await next();
secure.write('QUIT\r\n');
await next();
secure.end();
