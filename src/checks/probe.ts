// One silent connection to a target (the session's own establish, printing nothing),
// and the probes built on it: which TLS versions the server accepts.
import { Writable } from 'node:stream';
import { MailprobeError, messageOf } from '../errors.js';
import { establish, type Established } from '../session/establish.js';
import type { SessionOptions } from '../session/options.js';
import { Printer } from '../terminal/printer.js';
import { palette } from '../terminal/style.js';
import type { TlsSettings } from '../transport/tlsOptions.js';

const nowhere = () => new Writable({ write: (_chunk, _encoding, done) => done() });
/** One colourless palette for every silent connection: a load run opens thousands. */
let plain: ReturnType<typeof palette> | undefined;

export function silentPrinter(): Printer {
  plain ??= palette(0);
  return new Printer(nowhere(), nowhere(), plain, true);
}

export async function connectSilently(options: SessionOptions): Promise<Established> {
  return establish({ ...options, quiet: true, verifyReturnError: false }, silentPrinter());
}

export type VersionProbe = { version: NonNullable<TlsSettings['onlyVersion']>; accepted: boolean; error?: string };

export const TLS_VERSIONS: NonNullable<TlsSettings['onlyVersion']>[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Connects once per TLS version, offering only that version. */
export async function probeVersions(options: SessionOptions): Promise<VersionProbe[]> {
  return Promise.all(
    TLS_VERSIONS.map(async (version): Promise<VersionProbe> => {
      try {
        const { connection } = await connectSilently({ ...options, noEhlo: true, tls: { ...options.tls, onlyVersion: version, tls12Only: false, tls13Only: false } });
        connection.close();
        return { version, accepted: true };
      } catch (error) {
        const refused = error instanceof MailprobeError && error.code === 'TLS_HANDSHAKE';
        return { version, accepted: false, error: refused ? undefined : messageOf(error) };
      }
    }),
  );
}
