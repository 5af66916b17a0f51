// The demo's POP3 server (RFC 1939 and 2449, read-only): STLS, USER/PASS or AUTH PLAIN
// after TLS with any credentials, one message.
import { sampleMessage } from './sampleMessage.js';
import { startLineServer, type DemoServer, type LineClient } from './lineServer.js';

export function startPop3Mailbox(tls: { certPem: string; keyPem: string }): Promise<DemoServer> {
  const message = sampleMessage();
  const authed = new WeakSet<LineClient>();
  const stuffed = message.toString('latin1').replace(/^\./gm, '..');
  return startLineServer('+OK mailprobe demo POP3 ready\r\n', tls, (client, line) => {
    const [verbRaw = '', ...args] = line.split(' ');
    const verb = verbRaw.toUpperCase();
    if (verb === 'CAPA') return client.send(`+OK\r\n${client.tls ? 'USER\r\nSASL PLAIN\r\n' : 'STLS\r\n'}UIDL\r\nTOP\r\n.\r\n`);
    if (verb === 'QUIT') {
      client.send('+OK bye\r\n');
      return client.close();
    }
    if (verb === 'STLS' && !client.tls) {
      client.send('+OK Begin TLS negotiation\r\n');
      return client.startTls();
    }
    if (verb === 'NOOP') return client.send('+OK\r\n');
    if (!client.tls && ['USER', 'PASS', 'AUTH'].includes(verb)) return client.send('-ERR use STLS first\r\n');
    if (verb === 'USER') return client.send('+OK any user\r\n');
    if (verb === 'PASS' || (verb === 'AUTH' && args.length > 1)) {
      authed.add(client);
      return client.send('+OK logged in (any password works in the demo)\r\n');
    }
    if (!authed.has(client)) return client.send('-ERR log in first\r\n');
    if (verb === 'STAT') return client.send(`+OK 1 ${message.length}\r\n`);
    if (verb === 'LIST') return client.send(args[0] ? `+OK 1 ${message.length}\r\n` : `+OK 1 message\r\n1 ${message.length}\r\n.\r\n`);
    if (verb === 'UIDL') return client.send(args[0] ? '+OK 1 welcome\r\n' : '+OK\r\n1 welcome\r\n.\r\n');
    if (verb === 'RETR' && args[0] === '1') return client.send(`+OK ${message.length} octets\r\n${stuffed}.\r\n`);
    if (verb === 'TOP' && args[0] === '1') return client.send(`+OK\r\n${stuffed.split('\r\n\r\n')[0]}\r\n\r\n.\r\n`);
    if (verb === 'RSET') return client.send('+OK\r\n');
    client.send(`-ERR the demo mailbox is read-only: ${verb || 'that'} is not available\r\n`);
  });
}
