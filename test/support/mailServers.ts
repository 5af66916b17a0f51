// The real servers a test file runs against: a test PKI, Dovecot, and (on request) Postfix
// delivering to that Dovecot, plus a deliberately misconfigured Postfix. Started before the
// file's tests and stopped after them; the fields are filled in by beforeAll.
import { afterAll, beforeAll } from 'vitest';
import { makePki, type Pki } from './certs.js';
import { startDovecot, startPostfix, type DovecotInstance, type PostfixInstance } from './realServers.js';

export interface MailServers {
  pki: Pki;
  dovecot: DovecotInstance;
  postfix: PostfixInstance;
  badPostfix: PostfixInstance;
}

export function useMailServers(options: { postfix?: boolean; misconfigured?: boolean } = {}): MailServers {
  const servers = {} as MailServers;
  beforeAll(async () => {
    servers.pki = makePki();
    servers.dovecot = await startDovecot(servers.pki);
    if (options.postfix !== false) servers.postfix = await startPostfix(servers.pki, { dovecot: servers.dovecot });
    if (options.misconfigured) servers.badPostfix = await startPostfix(servers.pki, { dovecot: servers.dovecot, misconfigured: true });
  });
  afterAll(async () => {
    await servers.badPostfix?.stop();
    await servers.postfix?.stop();
    await servers.dovecot?.stop();
  });
  return servers;
}
