// The one STARTTLS response injection error (RFC 3207 §6), in its three places: replies that
// answer nothing when a STARTTLS goes out, plaintext after the go-ahead, plaintext instead
// of the handshake. Exit 10 for each, with the bytes as evidence.
import { MailprobeError } from '../errors.js';

const WHAT = {
  early: (command: string) => `the server sent replies that answer no command before ${command} (STARTTLS response injection), so mailprobe stops before TLS`,
  after: () => 'the server sent plaintext after its STARTTLS go-ahead and before TLS began (STARTTLS response injection), so mailprobe stops',
  instead: () => 'the server sent plaintext instead of a TLS handshake after its STARTTLS go-ahead (STARTTLS response injection), so mailprobe stops',
};

export function injectionError(when: keyof typeof WHAT, bytes: Buffer, command = 'STARTTLS'): MailprobeError {
  return new MailprobeError('STARTTLS_INJECTION', WHAT[when](command), {
    bytes,
    hint: 'someone between you and the server may be tampering with the connection',
  });
}
