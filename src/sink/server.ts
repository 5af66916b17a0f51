// The sink's listener: accepts connections, gives each a SinkConnection, and shuts down in
// order (no new transactions, a grace period, 421, then a hard stop).
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import { MailprobeError, messageOf, usageError } from '../errors.js';
import { formatHostPort } from '../transport/address.js';
import { noDelayOnListener } from '../transport/listener.js';
import { SinkConnection, type SinkContext } from './connection.js';
import { FaultPlan } from './faults.js';
import { resolveSinkOptions, type SinkOptions } from './options.js';
import { MessageStore } from './save.js';
import { SinkStats } from './stats.js';
import { WriteBatch } from './writeBatch.js';

export interface SinkHandle {
  /** The port listened on (the one picked, for port 0). */
  port: number;
  host: string;
  protocol: 'SMTP' | 'LMTP';
  /** STARTTLS is offered. */
  starttls: boolean;
  stats: SinkStats;
  /**
   * Stops: no new connections or transactions at once; connections still open after
   * `graceMs` (default 1000) get 421 after their pending replies; a second later any left
   * are cut. Resolves when every connection has closed. Calling it again returns the same.
   */
  close(graceMs?: number): Promise<void>;
}

/** Waits for `promise`, or `ms`, whichever comes first, leaving no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function secureContextOf(certPem: string | undefined, keyPem: string | undefined): SecureContext | undefined {
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    return createSecureContext({ cert: certPem, key: keyPem });
  } catch (error) {
    throw usageError(`cannot use the TLS certificate and key: ${messageOf(error)}`, 'give a PEM certificate and its matching PEM private key');
  }
}

/** How often the idle limit is checked: a quarter of it, at most a second. */
function idleTickMs(idleTimeoutMs: number): number {
  return Math.max(10, Math.min(1000, Math.floor(idleTimeoutMs / 4)));
}

export async function startSink(options: SinkOptions = {}): Promise<SinkHandle> {
  const resolved = resolveSinkOptions(options);
  const secureContext = secureContextOf(resolved.certPem, resolved.keyPem);
  const store = resolved.saveDir === undefined ? undefined : new MessageStore(resolved.saveDir);
  try {
    await store?.prepare();
  } catch (error) {
    throw usageError(`cannot create ${resolved.saveDir}: ${messageOf(error)}`);
  }
  const stats = new SinkStats();
  const prefix = randomBytes(3).toString('hex').toUpperCase();
  let sequence = 0;
  const context: SinkContext = {
    options: resolved,
    stats,
    faults: new FaultPlan(resolved),
    store,
    secureContext,
    batch: new WriteBatch(),
    nextId: () => prefix + (++sequence).toString(36).toUpperCase().padStart(6, '0'),
    closing: false,
  };
  const connections = new Set<SinkConnection>();
  const closed = (connection: SinkConnection) => {
    connections.delete(connection);
    stats.open--;
  };
  // Replies are small and each answers what was just read: Nagle would only delay them.
  const server = createServer({ noDelay: true }, (socket: Socket) => {
    stats.connections++;
    stats.open++;
    connections.add(new SinkConnection(socket, context, closed));
  });
  const where = formatHostPort(resolved.host, resolved.port);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new MailprobeError('CONNECT', `cannot listen on ${where}: ${error.code ?? error.message}`, { cause: error, hint: error.code === 'EADDRINUSE' ? 'another program has that port; pick another, or port 0 for any free one' : undefined })),
    );
    server.listen(resolved.port, resolved.host, () => resolve());
  });
  server.on('error', () => {}); // after listening, accept errors (EMFILE) must not crash the sink
  noDelayOnListener(server);
  const address = server.address() as AddressInfo;
  const tickMs = idleTickMs(resolved.idleTimeoutMs);
  const idleWatch = setInterval(() => {
    for (const connection of connections) connection.idleTick(tickMs);
  }, tickMs).unref();

  let closing: Promise<void> | undefined;
  const close = (graceMs = 1000): Promise<void> => {
    closing ??= (async () => {
      context.closing = true;
      clearInterval(idleWatch);
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      const allClosed = () => Promise.all([...connections].map((connection) => connection.closed()));
      await within(allClosed(), graceMs);
      for (const connection of connections) connection.shutdown();
      await within(allClosed(), 1000);
      for (const connection of connections) connection.destroy();
      await allClosed();
      // Messages cut off by the close are removed, accepted ones renamed: nothing half-written stays.
      await store?.idle();
      await listenerClosed;
    })();
    return closing;
  };

  return {
    port: address.port,
    host: resolved.host,
    protocol: resolved.lmtp ? 'LMTP' : 'SMTP',
    starttls: secureContext !== undefined,
    stats,
    close,
  };
}
