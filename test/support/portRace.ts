// A free port is probed, then given to a server, which may find it taken by then: its log
// says so, and the start is tried again with fresh ports (three tries in all).

export class PortRaceError extends Error {}

/** The server's log says its port was taken. */
export const bindFailed = (log: string): boolean => /address already in use|can't bind/i.test(log);

export async function retryPortRace<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortRaceError)) throw err;
    }
  }
}
