// Client certificates for tests, made with openssl at test time: one signed by the test CA
// for client authentication (P-256, CN=client.mailprobe.test), and a self-signed stranger.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from './certs.js';

export interface ClientCertificates {
  client: { cert: string; key: string };
  stranger: { cert: string; key: string };
}

export function makeClientCertificates(pki: Pki, dir: string): ClientCertificates {
  const p = (name: string): string => join(dir, name);
  // Our own openssl config (as in certs.ts): client-certificate extensions, and the
  // system openssl.cnf (CA:TRUE on self-signed certificates) kept out of the way.
  const conf = p('client-openssl.cnf');
  writeFileSync(
    conf,
    '[ req ]\ndistinguished_name = req_dn\nprompt = no\nx509_extensions = ext_client\n[ req_dn ]\nCN = unused\n' +
      '[ ext_client ]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = clientAuth\n',
  );
  const run = (args: string[]): void => void execFileSync('/usr/bin/openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, OPENSSL_CONF: conf } });
  const ec = ['-config', conf, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(['req', '-new', ...ec, '-keyout', p('client.key'), '-subj', '/CN=client.mailprobe.test', '-out', p('client.csr')]);
  run(['x509', '-req', '-in', p('client.csr'), '-CA', pki.ca.cert, '-CAkey', pki.ca.key, '-set_serial', '0x1c1e47', '-days', '2', '-sha256', '-extfile', conf, '-extensions', 'ext_client', '-out', p('client.crt')]);
  run(['req', '-x509', ...ec, '-keyout', p('stranger.key'), '-subj', '/CN=stranger.mailprobe.test', '-days', '2', '-out', p('stranger.crt')]);
  return { client: { cert: p('client.crt'), key: p('client.key') }, stranger: { cert: p('stranger.crt'), key: p('stranger.key') } };
}
