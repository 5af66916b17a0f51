// check --resumption: does the server resume TLS sessions, and do all the servers behind
// the name do so alike? One connection gets a session (a TLS 1.3 ticket, or a TLS 1.2 id or
// ticket); four more each offer that same session, as s_client -reconnect does. A pool
// whose members do not share ticket keys (or a session cache) resumes only on the member
// that issued it: a common finding behind load balancers.
import { connectOffering } from '../client/resumeOnce.js';
import type { SessionOptions } from '../client/options.js';
import { messageOf } from '../errors.js';
import type { CheckResult } from './types.js';

/** Connections after the first, each offering the first one's session. */
const ATTEMPTS = 4;
/** How long a connection waits for the server to close after the goodbye. */
const FAREWELL_MS = 1_000;

export async function resumptionCheck(options: SessionOptions): Promise<CheckResult> {
  const id = 'tls.resumption';
  try {
    // The first one waits for its session (a TLS 1.3 ticket follows the handshake) as long as
    // any dialogue step may take: a busy server's ticket is late, not missing.
    const first = await connectOffering(options, undefined, FAREWELL_MS, options.timeoutMs);
    if (!first.latestSession) return { id, verdict: 'warn', summary: `the server gave no session to resume (${first.protocol}): every connection pays a full handshake`, details: { sessionGiven: false } };
    const resumed: boolean[] = [];
    for (let i = 0; i < ATTEMPTS; i++) resumed.push((await connectOffering(options, first.latestSession, FAREWELL_MS)).session.resumed);
    const count = resumed.filter(Boolean).length;
    const details = { sessionGiven: true, protocol: first.protocol, attempts: ATTEMPTS, resumed: count, pattern: resumed };
    if (count === ATTEMPTS) return { id, verdict: 'ok', summary: `resumes sessions: ${count} of ${ATTEMPTS} connections resumed the session offered (${first.protocol})`, details };
    if (count === 0) return { id, verdict: 'warn', summary: `gives sessions but resumed none of ${ATTEMPTS} offered (${first.protocol}): every connection pays a full handshake`, details };
    return { id, verdict: 'warn', summary: `resumed only ${count} of ${ATTEMPTS} sessions offered (${first.protocol}): the servers behind this name do not share session ticket keys or a session cache (or its sessions are single-use)`, details };
  } catch (error) {
    return { id, verdict: 'fail', summary: `the resumption test could not connect: ${messageOf(error)}` };
  }
}
