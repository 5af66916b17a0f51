// One unobserved connection to a target (the connection core's establish, showing
// nothing), and the probes built on it: which TLS versions the server accepts.
import { MailprobeError, messageOf } from '../errors.js';
import { connectUnobserved } from '../client/establish.js';
import type { SessionOptions } from '../client/options.js';
import { TLS_VERSIONS, type TlsVersion } from '../transport/tlsOptions.js';


export type VersionProbe = { version: TlsVersion; accepted: boolean; error?: string };


/** Connects once per TLS version, offering only that version. */
export async function probeVersions(options: SessionOptions): Promise<VersionProbe[]> {
  return Promise.all(
    TLS_VERSIONS.map(async (version): Promise<VersionProbe> => {
      try {
        const { connection } = await connectUnobserved({ ...options, noEhlo: true, tls: { ...options.tls, versions: { min: version, max: version } } }, { recognise: false });
        connection.close();
        return { version, accepted: true };
      } catch (error) {
        const refused = error instanceof MailprobeError && error.code === 'TLS_HANDSHAKE';
        return { version, accepted: false, error: refused ? undefined : messageOf(error) };
      }
    }),
  );
}
