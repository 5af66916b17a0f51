// XMPP (RFC 6120) STARTTLS against fake servers, client and server-to-server: the stream
// header, features offering <starttls/>, <proceed/> the one go-ahead, a new stream over TLS;
// XML in any chunking (a byte at a time, no line endings at all); refusals (not offered,
// <failure/>, a stream error); injection after <proceed/> and a <proceed/> sent unasked;
// the credential guard for a typed <auth>; check and cert over the same dialogue.
import { describe, expect, it } from 'vitest';
import { expectLine, type FakeClient, fakeServersOfFile } from '../support/fakeServer.js';
import { runMailprobe } from '../support/runMailprobe.js';
import { testPki, tlsOf } from '../support/pkiOnce.js';

const TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls';
const SASL_NS = 'urn:ietf:params:xml:ns:xmpp-sasl';
const header = (ns = 'jabber:client') =>
  `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>`;
const OFFER = `<stream:features><starttls xmlns='${TLS_NS}'><required/></starttls></stream:features>`;
const AFTER_TLS = `<stream:features><mechanisms xmlns='${SASL_NS}'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms></stream:features>`;
const PROCEED = `<proceed xmlns='${TLS_NS}'/>`;
const HEADER_SENT = /^<\?xml version='1\.0'\?><stream:stream to='localhost' version='1\.0' xmlns='jabber:client' xmlns:stream='http:\/\/etherx\.jabber\.org\/streams'>$/;
const STARTTLS_SENT = /^<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'\/>$/;

const serve = fakeServersOfFile();

/** Sends `data` in pieces of `size` bytes, each its own write (and, on loopback, its own segment mostly). */
async function dribble(client: FakeClient, data: string, size: number): Promise<void> {
  const bytes = Buffer.from(data);
  for (let i = 0; i < bytes.length; i += size) {
    client.send(bytes.subarray(i, i + size));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Header and features offering STARTTLS, then <proceed/> and the TLS handshake; over TLS, a new stream. */
async function upgrade(client: FakeClient, how: { ns?: string; headerSent?: RegExp; send?: (client: FakeClient, data: string) => Promise<void> } = {}): Promise<void> {
  const send = how.send ?? (async (c: FakeClient, data: string) => c.send(data));
  await expectLine(client, how.headerSent ?? HEADER_SENT);
  await send(client, header(how.ns) + OFFER);
  await expectLine(client, STARTTLS_SENT);
  // The go-ahead's last byte and the upgrade with nothing awaited between: a ClientHello that
  // came in meanwhile would be read as XML, and the handshake would wait for it forever.
  if (how.send) await how.send(client, PROCEED.slice(0, -1));
  client.send(how.send ? PROCEED.slice(-1) : PROCEED);
  await client.upgrade(tlsOf(testPki().leaf));
  await expectLine(client, how.headerSent ?? HEADER_SENT);
  await send(client, header(how.ns) + AFTER_TLS);
}

async function closes(client: FakeClient): Promise<void> {
  await expectLine(client, /^<\/stream:stream>$/);
  client.send('</stream:stream>');
  client.end();
}

const starttls = (port: number, proto = 'xmpp', ...more: string[]) => ['-connect', `localhost:${port}`, '-starttls', proto, '-xmpphost', 'localhost', '-CAfile', testPki().ca.cert, '-verify_return_error', '-timeout', '5', ...more];

describe('XMPP STARTTLS (RFC 6120)', () => {
  it('header, features with <starttls/>, <proceed/>, TLS, a new stream whose features list the SASL mechanisms; a typed iq answered; </stream:stream>: exit 0', async () => {
    const server = await serve(async (client) => {
      await upgrade(client);
      await expectLine(client, /^<iq type='get' id='v1'>/);
      client.send(`<presence from='localhost'/><iq type='result' id='v1'><query xmlns='jabber:iq:version'><name>Fake</name></query></iq>`);
      await closes(client);
    });
    const result = await runMailprobe(starttls(server.port), { input: "<iq type='get' id='v1'><query xmlns='jabber:iq:version'/></iq>\n" });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/verified/);
    // One element a line, indented below its stanza.
    expect(result.stdout).toContain(`<stream:features>\n  <mechanisms xmlns='${SASL_NS}'>\n    <mechanism>SCRAM-SHA-1</mechanism>\n    <mechanism>PLAIN</mechanism>\n`);
    expect(result.stdout).toContain('    <name>Fake</name>');
    expect(server.received.filter((line) => /stream:stream to=/.test(line))).toHaveLength(2);
    expect(server.received.at(-1)).toBe('</stream:stream>');
  });

  it('xmpp-server: the jabber:server namespace, the s2s dialogue: exit 0', async () => {
    const sent = /^<\?xml version='1\.0'\?><stream:stream to='localhost' version='1\.0' xmlns='jabber:server' xmlns:stream='http:\/\/etherx\.jabber\.org\/streams'>$/;
    const server = await serve(async (client) => {
      await upgrade(client, { ns: 'jabber:server', headerSent: sent });
      await closes(client);
    });
    const result = await runMailprobe(starttls(server.port, 'xmpp-server'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/verified/);
  });

  it('every server byte in its own write (tags and attribute values split anywhere): the same dialogue, exit 0', async () => {
    const server = await serve(async (client) => {
      await upgrade(client, { send: (c, data) => dribble(c, data, 1) });
      await closes(client);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('    <mechanism>PLAIN</mechanism>');
  });

  it('pretty-printed XML with whitespace keepalives, or none at all: both work', async () => {
    const pretty = `${header()}\n  <stream:features>\n    <starttls xmlns='${TLS_NS}'/>\n  </stream:features>\n \n `;
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      await dribble(client, pretty, 7);
      await expectLine(client, STARTTLS_SENT);
      client.send(PROCEED);
      await client.upgrade(tlsOf(testPki().leaf));
      await expectLine(client, HEADER_SENT);
      client.send(header() + AFTER_TLS);
      await closes(client);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('features without <starttls/>: not offered, exit 7, no <starttls/> sent', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(header() + AFTER_TLS);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/does not offer STARTTLS in its stream features/);
    expect(server.received).toHaveLength(1);
  });

  it('<failure/> to <starttls/>: refused, exit 7', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(header() + OFFER);
      await expectLine(client, STARTTLS_SENT);
      client.send(`<failure xmlns='${TLS_NS}'/></stream:stream>`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/refused STARTTLS \(<failure\/>\)/);
  });

  it('a stream error to the header names its condition: exit 7', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(`${header()}<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(/stream with an error \(host-unknown\)/);
    expect(result.stderr).toMatch(/-xmpphost/);
  });

  it('a server that is not XMPP (an SMTP greeting): one clear line, exit 11, no stack trace', async () => {
    const server = await serve(async (client) => {
      client.send('220 mx.example ESMTP\r\n');
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/does not speak XMPP/);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe('XMPP: STARTTLS typed by hand', () => {
  it('-plain: a header and <starttls/> typed, <proceed/>, TLS, a header again over TLS: exit 0', async () => {
    const server = await serve(async (client) => {
      await upgrade(client);
      await closes(client);
    });
    const typed = "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    const input = `${typed}\n<starttls xmlns='${TLS_NS}'/>\n${typed}\n`;
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'xmpp', '-CAfile', testPki().ca.cert, '-verify_return_error', '-timeout', '5'], { input });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/go ahead: starting the TLS handshake/);
    // The session names the capability command by its upper-cased first word.
    expect(result.stdout).toMatch(/ask again with <stream:stream/i);
    expect(result.stdout).toMatch(/verified/);
    expect(result.stdout).toContain('    <mechanism>PLAIN</mechanism>');
  });
});

describe('XMPP: bounds', () => {
  it('a features stanza that never ends (endless children): stopped by the reply budget, exit 11', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(`${header()}<stream:features>`);
      const children = '<x/>'.repeat(64 * 1024);
      for (let i = 0; i < 12 && !client.socket.destroyed; i++) {
        client.send(children);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port, 'xmpp', '-quiet'));
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/ran past 10000 lines or 1024 KiB/);
  });

  it('a tag that never ends: malformed after 64 KiB, exit 11, not a hang', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(`${header()}<stream:features foo='${'a'.repeat(100 * 1024)}`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port, 'xmpp', '-quiet'));
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/does not speak XMPP/);
  });
});

describe('XMPP STARTTLS injection', () => {
  it('bytes after <proceed/>, before the handshake: exit 10, no TLS', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(header() + OFFER);
      await expectLine(client, STARTTLS_SENT);
      client.send(`${PROCEED}<stream:features><mechanisms xmlns='${SASL_NS}'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/plaintext after its STARTTLS go-ahead/);
    expect(result.stderr).toContain('<mechanism>PLAIN</mechanism>');
  });

  it('a <proceed/> already sent with the features, before the client\'s <starttls/>: exit 10, <starttls/> never goes out', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(header() + OFFER + PROCEED);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/answer no command before/);
    expect(server.received).toHaveLength(1);
  });
});

describe('XMPP credentials', () => {
  it('a typed <auth> over cleartext is refused (exit 13) and never reaches the server', async () => {
    const server = await serve(async (client) => {
      await expectLine(client, HEADER_SENT);
      client.send(header() + AFTER_TLS);
      await client.line().catch(() => undefined);
    });
    const typed = `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>\n<auth xmlns='${SASL_NS}' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>\n`;
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-plain', '-proto', 'xmpp', '-timeout', '5'], { input: typed });
    expect(result.code).toBe(13);
    expect(server.received.join('\n')).not.toContain('AGFsaWNl');
    expect(result.stdout + result.stderr).not.toContain('AGFsaWNl');
  });

  it(':auth PLAIN over TLS: the <auth> shown redacted, <success/> is authenticated', async () => {
    const server = await serve(async (client) => {
      await upgrade(client);
      await expectLine(client, /^<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==<\/auth>$/);
      client.send(`<success xmlns='${SASL_NS}'/>`);
      await closes(client);
    });
    const result = await runMailprobe(starttls(server.port), { input: ':auth PLAIN alice secret\n' });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`<auth xmlns='${SASL_NS}' mechanism='PLAIN'>[redacted]</auth>`);
    expect(result.stdout).not.toContain('AGFsaWNl');
    expect(result.stdout).toMatch(/authenticated as alice with PLAIN/);
  });
});

describe('XMPP: check and cert over STARTTLS', () => {
  it('check --starttls xmpp: TLS and certificate checks ok, SASL listed after TLS', async () => {
    const server = await serve(async (client) => {
      await upgrade(client);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['check', `localhost:${server.port}`, '--starttls', 'xmpp', '--no-versions', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.stdout).toMatch(/ok +tls\.starttls/);
    expect(result.stdout).toMatch(/ok +certificate\.chain +chain verifies/);
    expect(result.stdout).toMatch(/ok +capabilities\.auth_before_tls/);
    expect(result.stdout).toMatch(/AUTH SCRAM-SHA-1 PLAIN/);
    expect(result.stdout).not.toMatch(/fail |warn /);
    expect(result.code).toBe(0);
  });

  it('cert --starttls xmpp: the certificate report', async () => {
    const server = await serve(async (client) => {
      await upgrade(client);
      await client.line().catch(() => undefined);
    });
    const result = await runMailprobe(['cert', `localhost:${server.port}`, '--starttls', 'xmpp', '--CAfile', testPki().ca.cert, '--timeout', '5']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/subject +CN=localhost/);
  });
});

describe('XMPP: wrong-port diagnoses', () => {
  it('-tls to a plaintext XMPP port: the server\'s stream error names it, and the hint says -starttls xmpp', async () => {
    const server = await serve(async (client) => {
      client.socket.once('data', () => {
        client.send(`${header()}<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>`);
        client.end();
      });
    });
    const result = await runMailprobe(['-connect', `localhost:${server.port}`, '-tls', '-timeout', '5']);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/speaks plaintext, not TLS/);
    expect(result.stderr).toMatch(/try -starttls xmpp\b/);
  });

  it('-starttls xmpp to an implicit-TLS port that hangs up on the header: exit 9, the hint says -tls', async () => {
    const server = await serve(async () => {}, { implicitTls: tlsOf(testPki().leaf) });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(9);
    expect(result.stderr).toMatch(/closed the connection .*instead of answering the stream header/);
    expect(result.stderr).toMatch(/expects TLS from the start .*try -tls/);
  });

  it('-starttls xmpp to an implicit-TLS port that answers with a TLS alert: exit 6, the hint says -tls', async () => {
    const server = await serve(async (client) => {
      await client.line();
      // A TLS alert record: handshake_failure, as OpenSSL sends for a ClientHello it cannot read.
      client.send(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]));
      client.end();
    });
    const result = await runMailprobe(starttls(server.port));
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/speaks TLS on this port/);
    expect(result.stderr).toMatch(/-tls/);
  });
});
