/**
 * The TUI end to end under tmux (send-keys, capture-pane), with the compiled binary:
 * `keel attach` on a real daemon in a namespace (the backup of two routers), and
 * `keel demo` itself (namespaces, as CI is root).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import {
  HOOK_TIMEOUT_MS,
  KEEL,
  Lab,
  type Proc,
  ensureKeel,
  instance,
  masterDownMs,
  masterFirst,
} from "../../netns/harness";

const session = `keel-e2e-${process.pid}`;
const tmux = (...args: string[]) => Bun.spawnSync(["tmux", ...args], { stdout: "pipe", stderr: "pipe" });
const screen = () => tmux("capture-pane", "-p", "-t", session).stdout.toString();
async function waitScreen(re: RegExp, ms: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (re.test(screen())) return performance.now() - t0;
    await Bun.sleep(100);
  }
  throw new Error(`screen never matched ${re} within ${ms} ms:\n${screen()}`);
}
/** run `cmd` in a fresh 100x30 tmux pane; its exit status is printed after it */
function open(cmd: string): void {
  tmux("kill-session", "-t", session);
  const r = tmux(
    "new-session",
    "-d",
    "-s",
    session,
    "-x",
    "100",
    "-y",
    "30",
    // after it: its exit status, then the tty's icanon and echo flags ("-icanon": raw mode left behind)
    `${cmd}; echo EXIT=$?; echo TTY $(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)'); sleep 600`,
  );
  if (r.exitCode !== 0) throw new Error(`tmux: ${r.stderr.toString()}`);
}

describe("keel attach under tmux", () => {
  let lab: Lab;
  let master: Proc;
  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"]);
    ({ master } = await masterFirst(
      () => lab.keel("h1", instance({ priority: 150 })),
      () => lab.keel("h2", instance({ priority: 100 })),
    ));
  }, HOOK_TIMEOUT_MS);
  afterAll(() => {
    tmux("kill-session", "-t", session);
    lab?.destroy();
  });

  test("shows BACKUP, then MASTER within Master_Down_Interval + 1 s of the master's death; tab changes the view; q exits 0 with the terminal sane", async () => {
    open(`${KEEL} attach --control-socket ${lab.tmpdir("h2")}/keel-1.sock`);
    await waitScreen(/VI_1\s+eth0\s+51 - BACKUP/, 10_000);
    master.kill("SIGKILL");
    const ms = await waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, masterDownMs(1, 100) + 2_000);
    expect(ms).toBeLessThan(masterDownMs(1, 100) + 1_000 + 1_000); // + the TUI's 1 s poll
    tmux("send-keys", "-t", session, "Tab");
    await waitScreen(/\[2 Timeline\]/, 3_000);
    await waitScreen(/BACKUP -> MASTER|MASTER/, 3_000);
    tmux("send-keys", "-t", session, "q");
    await waitScreen(/EXIT=0/, 5_000);
    // the tty's flags are printed after the exit line: wait for them, not for luck
    await waitScreen(/^TTY /m, 10_000);
    const s = screen();
    // the alternate screen is gone and the tty is back in cooked mode with echo
    expect(s).not.toContain("Instances");
    expect(s).toMatch(/^TTY icanon echo$/m);
  }, 30_000);
});

describe("keel -f on a terminal", () => {
  let lab: Lab;
  beforeAll(() => {
    ensureKeel();
    lab = Lab.create(["h1"]);
  });
  afterAll(() => {
    tmux("kill-session", "-t", session);
    lab?.destroy();
  });

  test("the daemon and its TUI in one process: q stops it as SIGTERM does (VIP removed) and exits 0", async () => {
    const conf = lab.file("tui.conf", instance({ priority: 150 }));
    const t = lab.tmpdir("h1");
    const files = `-p ${t}/t.pid -r ${t}/t-vrrp.pid --control-socket ${t}/t.sock -g${t}/tui.log`;
    open(`ip netns exec ${lab.ns("h1")} ${KEEL} -f ${conf} ${files}`);
    await waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, 30_000);
    expect(lab.hasAddr("h1", "10.99.0.100")).toBe(true);
    tmux("send-keys", "-t", session, "q");
    // not 143: the process ends by returning, not by a SIGTERM it sent itself
    await waitScreen(/EXIT=0/, 20_000);
    const log = await Bun.file(`${t}/tui.log`).text();
    expect(log).toContain("(VI_1) sent 0 priority");
    expect(log).toContain("Stopped Keel");
    expect(lab.hasAddr("h1", "10.99.0.100")).toBe(false);
  }, 60_000);
});

describe("keel demo under tmux", () => {
  afterAll(() => tmux("kill-session", "-t", session));
  test("three routers; killing r1 moves the VIP to r2; q removes everything", async () => {
    ensureKeel();
    open(`${KEEL} demo`);
    await waitScreen(/router r1 \| connected/, 30_000);
    await waitScreen(/VI_DEMO\s+eth0\s+51 \* MASTER 150/, 20_000);
    const ns = () =>
      Bun.spawnSync(["ip", "netns", "list"])
        .stdout.toString()
        .split("\n")
        .filter((l) => l.startsWith("kd-"));
    expect(ns().length).toBeGreaterThanOrEqual(6);
    tmux("send-keys", "-t", session, "x");
    await waitScreen(/r1: killed/, 5_000);
    tmux("send-keys", "-t", session, "n");
    await waitScreen(/router r2 \| connected/, 10_000);
    await waitScreen(/VI_DEMO\s+eth0\s+51 \* MASTER 100/, masterDownMs(1, 100, 3) + 3_000);
    const dir = /disconnected from (\S+)\/r\d\.sock/.exec(screen())?.[1];
    tmux("send-keys", "-t", session, "q");
    await waitScreen(/EXIT=0/, 20_000);
    expect(ns()).toEqual([]);
    if (dir) expect(existsSync(dir)).toBe(false);
  }, 90_000);
});
