// Milliseconds since a fixed point in the past, for time spans and deadlines within one
// process. process.hrtime(), not performance.now(): the first touch of the `performance`
// global loads Node's perf_hooks, ~2.3 ms of every start, and hrtime costs no more a call.
export function now(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
