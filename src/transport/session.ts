// A TLS session as s_client saves it (-sess_out) and reads it back (-sess_in): OpenSSL's
// DER encoding of SSL_SESSION (what Node's getSession() and 'session' events give) in PEM
// armour labelled "SSL SESSION PARAMETERS". Files written here open in s_client, and back.
import { writeFileSync } from 'node:fs';

const LABEL = 'SSL SESSION PARAMETERS';

export function sessionPem(der: Buffer): string {
  const body = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${LABEL}-----\n${body}-----END ${LABEL}-----\n`;
}

/** The DER inside the first session block of `text`, if there is one. */
export function pemSession(text: string): Buffer | undefined {
  const match = new RegExp(`-----BEGIN ${LABEL}-----([A-Za-z0-9+/=\\s]+)-----END ${LABEL}-----`).exec(text);
  if (!match) return undefined;
  const der = Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  // An SSL_SESSION is a DER SEQUENCE.
  return der.length > 2 && der[0] === 0x30 ? der : undefined;
}

/** Replaces the file's content with this session (0600: it holds the master secret). */
export function saveSession(path: string, der: Buffer): void {
  writeFileSync(path, sessionPem(der), { mode: 0o600 });
}
