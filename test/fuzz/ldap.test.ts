// Property-based fuzzing of the LDAP BER framer: a stream of LDAPMessages split anywhere
// yields the same messages; random and mutated bytes never throw, lose nothing, and keep
// the framer's buffer within the largest message allowed.
//
//     FUZZ_RUNS=20000 npx vitest run test/fuzz/ldap.test.ts
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, octetString, tlv, unsigned } from '../../src/protocols/ldap/ber.js';
import { LdapFramer } from '../../src/protocols/ldap/framer.js';
import { NOTICE_OF_DISCONNECTION_OID, OP, searchRequest, startTlsRequest, STARTTLS_OID } from '../../src/protocols/ldap/message.js';
import type { ServerLine } from '../../src/protocols/types.js';
import { budget, bytesArb, cutsArb, mutate, mutationArb, split } from './support.js';

// ---------------------------------------------------------------------------------------
// Messages a server sends

/** Re-encodes the outer length in the 4-octet long form Active Directory uses. */
function longForm(message: Buffer): Buffer {
  const headerBytes = message[1]! < 0x80 ? 2 : 2 + (message[1]! & 0x7f);
  const length = message.length - headerBytes;
  const octets = Buffer.alloc(4);
  octets.writeUInt32BE(length);
  return Buffer.concat([Buffer.from([message[0]!, 0x84]), octets, message.subarray(headerBytes)]);
}

const idArb = fc.constantFrom(0, 1, 2, 3, 7, 300, 0x7fffffff);
const textArb = fc.string({ maxLength: 40, unit: fc.constantFrom('a', 'z', '=', ',', ' ', '\u001b', '\u00e9', '\u2028', '\n', '0') });
const codeArb = fc.constantFrom(0, 1, 2, 10, 13, 50, 52, 53, 80, 99);
const result = (code: number, diagnostic: string) => [unsigned(0x0a, code), octetString(''), octetString(diagnostic)];
const message = (id: number, op: Buffer) => tlv(0x30, unsigned(0x02, id), op);

const messageArb: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.oneof(
      fc.tuple(idArb, codeArb, textArb, fc.option(fc.constantFrom(STARTTLS_OID, NOTICE_OF_DISCONNECTION_OID), { nil: undefined })).map(([id, code, diag, name]) =>
        message(id, tlv(OP.extendedResp, ...result(code, diag), ...(name ? [octetString(name, 0x8a)] : []))),
      ),
      fc.tuple(idArb, codeArb, textArb).map(([id, code, diag]) => message(id, tlv(OP.searchResDone, ...result(code, diag)))),
      fc
        .tuple(idArb, textArb, fc.array(fc.tuple(textArb, fc.array(fc.oneof(textArb.map((t) => Buffer.from(t)), fc.uint8Array({ maxLength: 20 }).map(Buffer.from)), { maxLength: 4 })), { maxLength: 4 }))
        .map(([id, dn, attributes]) =>
          message(id, tlv(OP.searchResEntry, octetString(dn), tlv(0x30, ...attributes.map(([type, values]) => tlv(0x30, octetString(type), tlv(0x31, ...values.map((v) => octetString(v))))))))),
      fc.tuple(idArb, fc.array(textArb, { minLength: 1, maxLength: 3 })).map(([id, uris]) => message(id, tlv(OP.searchResRef, ...uris.map((u) => octetString(u))))),
    ),
    fc.boolean(),
  )
  .map(([bytes, long]) => (long ? longForm(bytes) : bytes));

const streamArb = fc.array(messageArb, { maxLength: 8 }).map((messages) => Buffer.concat(messages));

// ---------------------------------------------------------------------------------------
// Running the framer

/** A framer after StartTLS (#1) and a search (#2) went out, as in mailprobe's dialogue. */
function framer(maxMessage?: number): LdapFramer {
  const f = new LdapFramer(maxMessage);
  f.sentMessage(startTlsRequest(1));
  f.sentMessage(searchRequest(2, '', 'baseObject', 'objectClass', ['namingContexts']));
  return f;
}

interface Run {
  lines: ServerLine[];
  drained: Buffer;
  maxPending: number;
}

function run(f: LdapFramer, bytes: Buffer, cuts: readonly number[] = []): Run {
  const lines: ServerLine[] = [];
  let maxPending = 0;
  for (const chunk of split(bytes, cuts)) {
    lines.push(...f.push(chunk));
    maxPending = Math.max(maxPending, f.pendingBytes());
  }
  return { lines, drained: f.drain(), maxPending };
}

const describeLine = (line: ServerLine) => JSON.stringify([line.bytes.toString('hex'), line.shown, line.tone, line.final]);

/**
 * What a run means whatever the chunking: every line up to the point the stream could not
 * be framed any more, then the rest as bytes (how that rest arrived in pieces is the
 * chunking's, not the framer's).
 */
function meaning(r: Run): string[] {
  const broken = r.lines.findIndex((line) => line.shown?.startsWith('malformed BER'));
  const framed = broken < 0 ? r.lines : r.lines.slice(0, broken);
  const rest = broken < 0 ? [] : r.lines.slice(broken);
  return [...framed.map(describeLine), `rest ${Buffer.concat([...rest.map((l) => l.bytes), r.drained]).toString('hex')}`];
}

const bytesOf = (r: Run) => Buffer.concat([...r.lines.map((line) => line.bytes), r.drained]);

describe('LDAP BER framer (fuzz)', () => {
  it('a stream of messages split anywhere gives the same lines as in one chunk, one complete message per byte-carrying line', () => {
    fc.assert(
      fc.property(streamArb, fc.array(cutsArb, { minLength: 1, maxLength: 3 }), (stream, cutsList) => {
        const whole = run(framer(), stream);
        expect(whole.drained.length).toBe(0);
        expect(whole.lines.some((line) => line.shown?.startsWith('malformed'))).toBe(false);
        for (const cuts of cutsList) {
          const chunked = run(framer(), stream, cuts);
          expect(chunked.lines.map(describeLine)).toEqual(whole.lines.map(describeLine));
        }
        expect(bytesOf(whole).equals(stream)).toBe(true);
      }),
      budget(),
    );
  });

  it('byte by byte: the same lines', () => {
    fc.assert(
      fc.property(streamArb, (stream) => {
        const whole = run(framer(), stream);
        const bytewise = run(framer(), stream, Array.from({ length: stream.length }, () => 1));
        expect(bytewise.lines.map(describeLine)).toEqual(whole.lines.map(describeLine));
      }),
      budget({ numRuns: 50 }),
    );
  });

  it('random and mutated bytes: never throws, loses nothing, the same meaning in any chunking, pending within the largest message', () => {
    const hostile = fc.oneof(
      bytesArb(300),
      fc.tuple(streamArb, fc.array(mutationArb, { minLength: 1, maxLength: 6 })).map(([stream, mutations]) => mutate(stream, mutations)),
      // Header shapes that must stop framing: indefinite, 5 length octets, above the limit.
      fc.constantFrom(Buffer.from([0x30, 0x80, 0, 0]), Buffer.from([0x30, 0x85, 0, 0, 0, 0, 1]), Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), Buffer.from([0x1f, 0x01])),
    );
    fc.assert(
      fc.property(hostile, cutsArb, fc.constantFrom(undefined, 16, 64), (bytes, cuts, maxMessage) => {
        const whole = run(framer(maxMessage), bytes);
        const chunked = run(framer(maxMessage), bytes, cuts);
        expect(bytesOf(whole).equals(bytes)).toBe(true);
        expect(bytesOf(chunked).equals(bytes)).toBe(true);
        expect(meaning(chunked)).toEqual(meaning(whole));
        // Header (at most 6 bytes) + contents: nothing larger is ever held.
        expect(chunked.maxPending).toBeLessThanOrEqual((maxMessage ?? MAX_MESSAGE_BYTES) + 6);
        for (const line of [...whole.lines, ...chunked.lines]) expect(line.text).toBe(line.bytes.toString('latin1'));
      }),
      budget(),
    );
  });

  it('a length claim above the limit is malformed at once: nothing is held waiting for it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 0xffffffff }), (length) => {
        const f = framer(64);
        const header = Buffer.from([0x30, 0x84, 0, 0, 0, 0]);
        header.writeUInt32BE(length, 2);
        const lines = f.push(header);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.tone).toBe('malformed');
        expect(lines[0]!.final).toBe(true);
        expect(f.pendingBytes()).toBe(0);
      }),
      budget(),
    );
  });
});
