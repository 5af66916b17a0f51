// The demo's IMAP server (RFC 3501, the read-only part): STARTTLS, LOGIN or AUTHENTICATE
// PLAIN after TLS with any credentials, one INBOX with one message.
import { sampleMessage } from './sampleMessage.js';
import { startLineServer, type DemoServer, type LineClient } from './lineServer.js';

const CAPS_PLAIN = 'IMAP4rev1 STARTTLS LOGINDISABLED';
const CAPS_TLS = 'IMAP4rev1 AUTH=PLAIN SASL-IR UNSELECT';

export function startImapMailbox(tls: { certPem: string; keyPem: string }): Promise<DemoServer> {
  const message = sampleMessage();
  const state = new WeakMap<LineClient, { authed: boolean; selected: boolean; authTag?: string }>();
  const fetchItems = (items: string) => {
    const parts: string[] = [];
    const upper = items.toUpperCase();
    if (upper.includes('UID')) parts.push('UID 1');
    if (upper.includes('FLAGS')) parts.push('FLAGS (\\Seen)');
    if (upper.includes('RFC822.SIZE')) parts.push(`RFC822.SIZE ${message.length}`);
    const header = message.subarray(0, message.indexOf('\r\n\r\n') + 4);
    if (/BODY(\.PEEK)?\[HEADER\]/.test(upper)) parts.push(`BODY[HEADER] {${header.length}}\r\n${header.toString('latin1')}`);
    else if (/BODY(\.PEEK)?\[\]|RFC822(?!\.)/.test(upper)) parts.push(`BODY[] {${message.length}}\r\n${message.toString('latin1')}`);
    return parts.join(' ');
  };
  return startLineServer(`* OK [CAPABILITY ${CAPS_PLAIN}] mailprobe demo IMAP ready\r\n`, tls, (client, line) => {
    const s = state.get(client) ?? { authed: false, selected: false };
    state.set(client, s);
    if (s.authTag) {
      const tag = s.authTag;
      s.authTag = undefined;
      if (line === '*') return client.send(`${tag} BAD authentication cancelled\r\n`);
      s.authed = true;
      return client.send(`${tag} OK [CAPABILITY ${CAPS_TLS}] logged in\r\n`);
    }
    const [tag = '*', verbRaw = '', ...rest] = line.split(' ');
    let verb = verbRaw.toUpperCase();
    let args = rest.join(' ');
    if (verb === 'UID') [verb, args] = [(rest[0] ?? '').toUpperCase(), rest.slice(1).join(' ')];
    const ok = (text: string) => client.send(`${tag} OK ${text}\r\n`);
    if (verb === 'CAPABILITY') return client.send(`* CAPABILITY ${client.tls ? CAPS_TLS : CAPS_PLAIN}\r\n${tag} OK done\r\n`);
    if (verb === 'NOOP') return ok('nothing new');
    if (verb === 'LOGOUT') {
      client.send(`* BYE see you\r\n${tag} OK bye\r\n`);
      return client.close();
    }
    if (verb === 'STARTTLS' && !client.tls) {
      ok('Begin TLS negotiation now');
      return client.startTls();
    }
    if (!client.tls && (verb === 'LOGIN' || verb === 'AUTHENTICATE')) return client.send(`${tag} NO [PRIVACYREQUIRED] STARTTLS first\r\n`);
    if (verb === 'LOGIN') {
      s.authed = true;
      return ok(`[CAPABILITY ${CAPS_TLS}] logged in (any password works in the demo)`);
    }
    if (verb === 'AUTHENTICATE') {
      if (rest.length > 1) {
        s.authed = true;
        return ok(`[CAPABILITY ${CAPS_TLS}] logged in`);
      }
      s.authTag = tag;
      return client.send('+ \r\n');
    }
    if (!s.authed) return client.send(`${tag} NO log in first\r\n`);
    if (verb === 'SELECT' || verb === 'EXAMINE') {
      s.selected = true;
      return client.send(`* FLAGS (\\Seen)\r\n* 1 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] UIDs valid\r\n* OK [UIDNEXT 2] next\r\n${tag} OK [READ-ONLY] ${verb} completed\r\n`);
    }
    if (verb === 'LIST' || verb === 'LSUB') return client.send(`* ${verb} () "/" INBOX\r\n${tag} OK done\r\n`);
    if (verb === 'STATUS') return client.send(`* STATUS INBOX (MESSAGES 1 UNSEEN 0)\r\n${tag} OK done\r\n`);
    if ((verb === 'CLOSE' || verb === 'UNSELECT') && s.selected) {
      s.selected = false;
      return ok('closed');
    }
    if (verb === 'FETCH' && s.selected) {
      const items = fetchItems(args.replace(/^\S+\s*/, ''));
      return client.send(`* 1 FETCH (${items})\r\n${tag} OK fetch completed\r\n`);
    }
    client.send(`${tag} NO the demo mailbox is read-only and small: ${verb || 'that'} is not available\r\n`);
  });
}
