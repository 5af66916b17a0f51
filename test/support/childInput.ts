// Writing to a child's stdin after it has exited raises EPIPE on the pipe; unhandled, that
// error ends the whole test run. Every test that feeds a child goes through here.
import type { ChildProcess } from 'node:child_process';

/** The child's stdin, with write errors (the child already gone) ignored; undefined without a pipe. */
export function inputOf(child: ChildProcess): NodeJS.WritableStream | undefined {
  const stdin = child.stdin;
  if (stdin && stdin.listenerCount('error') === 0) stdin.on('error', () => {});
  return stdin ?? undefined;
}

/** Sends `input` to the child's stdin and closes it. */
export function endInput(child: ChildProcess, input = ''): void {
  inputOf(child)?.end(input);
}
