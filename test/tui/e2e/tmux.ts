/** A tmux pane for the TUI end-to-end tests: run a command in it, read its screen, send keys. */
import { readFileSync } from "node:fs";

export class Pane {
  constructor(
    readonly session: string,
    private readonly size: [number, number] = [100, 30],
  ) {}

  private tmux(...args: string[]) {
    return Bun.spawnSync(["tmux", ...args], { stdout: "pipe", stderr: "pipe" });
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", this.session).stdout.toString();
  }

  /** wait until the screen matches; resolves with how long that took (ms, `performance.now()` at the match in `at`) */
  async waitScreen(re: RegExp, ms: number): Promise<number> {
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      if (re.test(this.screen())) return performance.now() - t0;
      await Bun.sleep(100);
    }
    throw new Error(`screen never matched ${re} within ${ms} ms:\n${this.screen()}`);
  }

  /** run `cmd` in a fresh pane; its exit status is printed after it */
  open(cmd: string): void {
    this.close();
    const [x, y] = this.size;
    const r = this.tmux(
      "new-session",
      "-d",
      "-s",
      this.session,
      "-x",
      String(x),
      "-y",
      String(y),
      // after it: its exit status, then the tty's icanon and echo flags ("-icanon": raw mode left behind)
      `${cmd}; echo EXIT=$?; echo TTY $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'); sleep 600`,
    );
    if (r.exitCode !== 0) throw new Error(`tmux: ${r.stderr.toString()}`);
  }

  /** the processes the pane's shell started (its children's pids) */
  children(): number[] {
    const shell = this.tmux("display-message", "-p", "-t", this.session, "#{pane_pid}").stdout.toString().trim();
    const kids = readFileSync(`/proc/${shell}/task/${shell}/children`, "utf8").trim();
    return kids ? kids.split(" ").map(Number) : [];
  }

  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", this.session, ...keys);
  }

  close(): void {
    this.tmux("kill-session", "-t", this.session);
  }
}
