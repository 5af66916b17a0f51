/**
 * Real Postfix and Dovecot for tests, run from private config directories under a
 * temp dir, on free high loopback ports. The system's mail setup (/etc/postfix,
 * /etc/dovecot, the system instances) is never touched or needed.
 *
 * Facts this relies on (see shared/REAL-SERVERS.md):
 * - Dovecot treats 127.0.0.1 -> 127.0.0.1 as a secured connection and then allows
 *   plaintext login before STARTTLS; it listens on 127.0.0.2 by default here so
 *   pre-TLS behaviour (LOGINDISABLED, no AUTH=PLAIN) is real.
 * - Both servers need root to start (Postfix refuses otherwise; Dovecot switches users).
 */

export type { ServerAvailability } from './packages.js';
import { ensurePackages, missingPackages, type ServerAvailability } from './packages.js';

/** Files that must exist, and the Debian package that provides each. */
const REQUIRED: ReadonlyArray<readonly [string, string]> = [
  ['/usr/sbin/postfix', 'postfix'],
  ['/usr/lib/postfix/sbin/smtpd', 'postfix'],
  ['/usr/sbin/dovecot', 'dovecot-core'],
  ['/usr/lib/dovecot/imap', 'dovecot-imapd'],
  ['/usr/lib/dovecot/pop3', 'dovecot-pop3d'],
  ['/usr/lib/dovecot/lmtp', 'dovecot-lmtpd'],
  ['/usr/lib/dovecot/managesieve', 'dovecot-managesieved'],
  ['/usr/bin/swaks', 'swaks'],
  ['/usr/bin/openssl', 'openssl'],
];

const isRoot = (): boolean => process.getuid?.() === 0;
let availability: ServerAvailability | undefined;

/**
 * Makes sure Postfix, Dovecot (imap, pop3, lmtp, managesieve), swaks and openssl are
 * installed. As root, missing packages are installed with apt-get; otherwise (or if
 * that fails) the answer says why the servers cannot be used. Memoized per process.
 */
export function ensureMailServers(): ServerAvailability {
  if (availability) return availability;
  if (!isRoot()) {
    const missing = missingPackages(REQUIRED);
    const why = missing.length ? `missing packages: ${missing.join(' ')}; ` : '';
    return (availability = { ok: false, reason: `${why}real Postfix/Dovecot tests need root (Postfix only starts as root)` });
  }
  // Postfix's debconf would otherwise ask which kind of mail setup to write to /etc/postfix.
  availability = ensurePackages(REQUIRED, { debconf: 'postfix postfix/main_mailer_type select No configuration\npostfix postfix/mailname string localhost\n' });
  return availability;
}

export { freePort } from './servers/mailDaemon.js';
export * from './servers/dovecot.js';
export * from './servers/postfix.js';
