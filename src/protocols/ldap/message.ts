// LDAPMessage (RFC 4511 §4.1.1): a SEQUENCE of messageID, protocolOp and optional controls.
// Decoding reads only what mailprobe shows or decides on (results, extended responses,
// search entries and references); encoding makes the three requests it sends.
import { BerError, children, expectTag, octetString, readUnsigned, single, tlv, unsigned, type Tlv } from './ber.js';

export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
export const NOTICE_OF_DISCONNECTION_OID = '1.3.6.1.4.1.1466.20036';

/** protocolOp tags ([APPLICATION n], constructed unless noted). */
export const OP = {
  bindRequest: 0x60,
  bindResponse: 0x61,
  unbindRequest: 0x42, // primitive NULL
  searchRequest: 0x63,
  searchResEntry: 0x64,
  searchResDone: 0x65,
  modifyRequest: 0x66,
  modifyResponse: 0x67,
  addRequest: 0x68,
  addResponse: 0x69,
  delRequest: 0x4a, // primitive LDAPDN
  delResponse: 0x6b,
  modDNRequest: 0x6c,
  modDNResponse: 0x6d,
  compareRequest: 0x6e,
  compareResponse: 0x6f,
  abandonRequest: 0x50, // primitive MessageID
  searchResRef: 0x73,
  extendedReq: 0x77,
  extendedResp: 0x78,
  intermediateResponse: 0x79,
} as const;

const NAME_OF: ReadonlyMap<number, string> = new Map(Object.entries(OP).map(([name, tag]) => [tag, name]));
/** The responses that carry an LDAPResult (RFC 4511 §4.1.9). */
const RESULT_OPS: ReadonlySet<number> = new Set([
  OP.bindResponse,
  OP.searchResDone,
  OP.modifyResponse,
  OP.addResponse,
  OP.delResponse,
  OP.modDNResponse,
  OP.compareResponse,
  OP.extendedResp,
]);
const REQUEST_OPS: ReadonlySet<number> = new Set([
  OP.bindRequest,
  OP.unbindRequest,
  OP.searchRequest,
  OP.modifyRequest,
  OP.addRequest,
  OP.delRequest,
  OP.modDNRequest,
  OP.compareRequest,
  OP.abandonRequest,
  OP.extendedReq,
]);

export interface LdapResult {
  code: number;
  matchedDN: string;
  diagnostic: string;
  referrals: string[];
}

export interface Attribute {
  type: string;
  values: Buffer[];
}

export type LdapOp =
  /** A response with an LDAPResult; extendedResp adds its name (an OID). */
  | { kind: 'result'; name: string; result: LdapResult; responseName?: string }
  | { kind: 'entry'; dn: string; attributes: Attribute[] }
  | { kind: 'reference'; uris: string[] }
  | { kind: 'intermediate'; responseName?: string }
  /** A request (what mailprobe sends; from a server it answers nothing). */
  | { kind: 'request'; name: string }
  | { kind: 'unknown'; tag: number };

export interface LdapMessage {
  id: number;
  /** The protocolOp's tag (OP.*). */
  tag: number;
  op: LdapOp;
}

const text = (tlv: Tlv): string => tlv.value.toString('utf8');

/** Decodes one whole LDAPMessage TLV; throws BerError when it is not one. */
export function decodeMessage(bytes: Buffer): LdapMessage {
  const message = expectTag(single(bytes), 0x30, 'LDAPMessage');
  const [idTlv, opTlv, controls, ...extra] = children(message.value);
  const id = readUnsigned(expectTag(idTlv, 0x02, 'messageID'), 'messageID');
  if (!opTlv) throw new BerError('protocolOp is missing');
  if (controls && controls.tag !== 0xa0) throw new BerError(`controls: tag 0x${controls.tag.toString(16)} where 0xa0 belongs`);
  if (extra.length > 0) throw new BerError('elements after the controls');
  return { id, tag: opTlv.tag, op: decodeOp(opTlv) };
}

function decodeOp(op: Tlv): LdapOp {
  const name = NAME_OF.get(op.tag);
  if (RESULT_OPS.has(op.tag)) return decodeResult(op, name!);
  if (op.tag === OP.searchResEntry) return decodeEntry(op);
  if (op.tag === OP.searchResRef) {
    const uris = children(op.value).map((uri) => text(expectTag(uri, 0x04, 'URI')));
    if (uris.length === 0) throw new BerError('searchResRef without a URI');
    return { kind: 'reference', uris };
  }
  if (op.tag === OP.intermediateResponse) {
    const responseName = children(op.value).find((part) => part.tag === 0x80);
    return { kind: 'intermediate', responseName: responseName && text(responseName) };
  }
  if (REQUEST_OPS.has(op.tag)) return { kind: 'request', name: name! };
  return { kind: 'unknown', tag: op.tag };
}

function decodeResult(op: Tlv, name: string): LdapOp {
  const [code, matchedDN, diagnostic, ...rest] = children(op.value);
  const result: LdapResult = {
    code: readUnsigned(expectTag(code, 0x0a, 'resultCode'), 'resultCode'),
    matchedDN: text(expectTag(matchedDN, 0x04, 'matchedDN')),
    diagnostic: text(expectTag(diagnostic, 0x04, 'diagnosticMessage')),
    referrals: [],
  };
  let responseName: string | undefined;
  // After the LDAPResult: referral [3]; extendedResp's responseName [10] and value [11];
  // bindResponse's serverSaslCreds [7]. Anything else is an extension, skipped.
  for (const part of rest) {
    if (part.tag === 0xa3) result.referrals = children(part.value).map((uri) => text(expectTag(uri, 0x04, 'referral URI')));
    else if (part.tag === 0x8a && op.tag === OP.extendedResp) responseName = text(part);
  }
  return { kind: 'result', name, result, responseName };
}

function decodeEntry(op: Tlv): LdapOp {
  const [dn, list, ...extra] = children(op.value);
  if (extra.length > 0) throw new BerError('searchResEntry: elements after the attributes');
  const attributes = children(expectTag(list, 0x30, 'attributes').value).map((attribute): Attribute => {
    const [type, values, ...more] = children(expectTag(attribute, 0x30, 'attribute').value);
    if (more.length > 0) throw new BerError('attribute: elements after its values');
    return {
      type: text(expectTag(type, 0x04, 'attribute type')),
      values: children(expectTag(values, 0x31, 'attribute values').value).map((value) => expectTag(value, 0x04, 'attribute value').value),
    };
  });
  return { kind: 'entry', dn: text(expectTag(dn, 0x04, 'objectName')), attributes };
}

// ---------------------------------------------------------------------------------------
// The requests mailprobe sends

const envelope = (id: number, op: Buffer): Buffer => tlv(0x30, unsigned(0x02, id), op);

/** ExtendedRequest with requestName StartTLS and no value (RFC 4511 §4.14.1). */
export function startTlsRequest(id: number): Buffer {
  return envelope(id, tlv(OP.extendedReq, octetString(STARTTLS_OID, 0x80)));
}

/**
 * SearchRequest (RFC 4511 §4.5.1) with filter (attr=*) — a present filter, [7] — no size or
 * time limit (mailprobe's own timeout bounds the wait) and types with values.
 */
export function searchRequest(id: number, base: string, scope: 'baseObject', present: string, attributes: readonly string[]): Buffer {
  const scopes = { baseObject: 0 };
  return envelope(
    id,
    tlv(
      OP.searchRequest,
      octetString(base),
      unsigned(0x0a, scopes[scope]),
      unsigned(0x0a, 0), // derefAliases: neverDerefAliases
      unsigned(0x02, 0), // sizeLimit
      unsigned(0x02, 0), // timeLimit
      tlv(0x01, Buffer.from([0x00])), // typesOnly FALSE
      octetString(present, 0x87),
      tlv(0x30, ...attributes.map((attribute) => octetString(attribute))),
    ),
  );
}

/** UnbindRequest (RFC 4511 §4.3): [APPLICATION 2] NULL. */
export function unbindRequest(id: number): Buffer {
  return envelope(id, tlv(OP.unbindRequest));
}
