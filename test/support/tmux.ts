// Drives a real terminal: mailprobe runs inside a detached tmux session, keys are typed
// with send-keys and the screen is read back with capture-pane.
import { execFileSync, spawnSync } from 'node:child_process';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export class TmuxTerminal {
  private readonly socket = `mailprobe-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly name = 'mp';

  constructor(command: string[], env: Record<string, string> = {}) {
    const exports = Object.entries({ TERM: 'xterm-256color', ...env })
      .map(([k, v]) => `${k}=${shellQuote(v)}`)
      .join(' ');
    const line = `env -u NO_COLOR -u FORCE_COLOR ${exports} ${command.map(shellQuote).join(' ')}; echo "[exit $?]"; sleep 30`;
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.name, '-x', '120', '-y', '30', line);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  key(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** The screen as text; with escapes=true, colour escapes included. */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', '-t', this.name, ...(escapes ? ['-e'] : []));
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${screen}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
