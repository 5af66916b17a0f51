// How an LDAPMessage reads on screen: one line for a result ("extendedResp #1 success (0)"),
// and for a search entry its DN then one attribute value a line, LDIF-like. The text is the
// server's and untrusted: the printer escapes it like any server line.
import { isUtf8 } from 'node:buffer';
import type { Tone } from '../types.js';
import { NOTICE_OF_DISCONNECTION_OID, OP, STARTTLS_OID, type LdapMessage, type LdapResult } from './message.js';
import { resultName, toneOfResult } from './resultCodes.js';

/** Values longer than this are cut on screen (a RootDSE value is a few dozen bytes). */
const VALUE_SHOWN_BYTES = 1024;

const OID_NAMES: Readonly<Record<string, string>> = {
  [STARTTLS_OID]: 'StartTLS',
  [NOTICE_OF_DISCONNECTION_OID]: 'Notice of Disconnection',
};

export interface Rendering {
  /** The first line, then further lines (attribute values). */
  lines: string[];
  tone: Tone;
}

export const isNoticeOfDisconnection = (message: LdapMessage): boolean =>
  message.id === 0 && message.tag === OP.extendedResp && message.op.kind === 'result' && message.op.responseName === NOTICE_OF_DISCONNECTION_OID;

export function oidLabel(oid: string): string {
  return OID_NAMES[oid] ?? oid;
}

function resultText(result: LdapResult): string {
  const diagnostic = result.diagnostic ? `: ${result.diagnostic}` : '';
  const matched = result.matchedDN ? ` (matched ${result.matchedDN})` : '';
  return `${resultName(result.code)}${diagnostic}${matched}`;
}

export function value(bytes: Buffer): string {
  const shown = bytes.subarray(0, VALUE_SHOWN_BYTES);
  const cut = bytes.length > VALUE_SHOWN_BYTES ? ` … (${bytes.length} bytes)` : '';
  // Values that are not UTF-8 (a binary attribute) are shown in hex.
  if (isUtf8(bytes)) return shown.toString('utf8') + cut;
  return `0x${shown.toString('hex')}${cut}`;
}

export function render(message: LdapMessage): Rendering {
  const { op, id } = message;
  const head = (name: string) => (isNoticeOfDisconnection(message) ? 'Notice of Disconnection' : `${name} #${id}`);
  switch (op.kind) {
    case 'result': {
      const named = op.responseName && !isNoticeOfDisconnection(message) ? ` [${oidLabel(op.responseName)}]` : '';
      const lines = [`${head(op.name)}${named} ${resultText(op.result)}`, ...op.result.referrals.map((uri) => `  referral: ${uri}`)];
      return { lines, tone: isNoticeOfDisconnection(message) ? 'bye' : toneOfResult(op.result.code) };
    }
    case 'entry':
      return {
        lines: [`searchResEntry #${id} dn: ${op.dn || '"" (root DSE)'}`, ...op.attributes.flatMap((a) => (a.values.length ? a.values.map((v) => `  ${a.type}: ${value(v)}`) : [`  ${a.type}:`]))],
        tone: 'info',
      };
    case 'reference':
      return { lines: [`searchResRef #${id}`, ...op.uris.map((uri) => `  ${uri}`)], tone: 'info' };
    case 'intermediate':
      return { lines: [`intermediateResponse #${id}${op.responseName ? ` [${oidLabel(op.responseName)}]` : ''}`], tone: 'info' };
    case 'request':
      return { lines: [`${op.name} #${id} (a request, from the server)`], tone: 'malformed' };
    case 'unknown':
      return { lines: [`LDAPMessage #${id} with protocolOp tag 0x${op.tag.toString(16)}`], tone: 'malformed' };
  }
}
