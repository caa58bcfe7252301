/**
 * The TUI end to end under tmux (send-keys, capture-pane), with the compiled binary:
 * `keel attach` on a real daemon in a namespace (the backup of two routers), and
 * `keel demo` itself (namespaces, as CI is root).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
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
import { TUI_RUNTIME_ENV } from "../../../tui/runtime-env";
import { Pane } from "./tmux";

const pane = new Pane(`keel-e2e-${process.pid}`);
const screen = () => pane.screen();
const waitScreen = (re: RegExp, ms: number) => pane.waitScreen(re, ms);
const open = (cmd: string) => pane.open(cmd);

describe("keel attach under tmux", () => {
  let lab: Lab;
  let master: Proc;
  let backup: Proc;
  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"]);
    // a BFD session between them too, for the BFD view
    const bfd = (peer: string) =>
      `bfd_instance bfd_${peer} {\n  neighbor_ip ${lab.ip(peer)}\n  min_rx 100\n  min_tx 100\n  multiplier 3\n}\n`;
    ({ master, backup } = await masterFirst(
      () => lab.keel("h1", instance({ priority: 150 }) + bfd("h2")),
      () => lab.keel("h2", instance({ priority: 100 }) + bfd("h1")),
    ));
  }, HOOK_TIMEOUT_MS);
  afterAll(() => {
    pane.close();
    lab?.destroy();
  });

  test("shows BACKUP, then MASTER within Master_Down_Interval + 1 s of the master's death; tab changes the view; the BFD view shows the session Up, then Down; its own death marks the rows stale; q exits 0 with the terminal sane", async () => {
    open(`${KEEL} attach --control-socket ${lab.tmpdir("h2")}/keel-1.sock`);
    await waitScreen(/VI_1\s+eth0\s+51 - BACKUP/, 10_000);
    // the TUI runs with its runtime settings (tui/runtime-env.ts): `keel attach` exec'd
    // itself with them set, the same process (no parent left waiting), no child
    const [tui, ...more] = pane.children();
    expect(more).toEqual([]);
    const env = readFileSync(`/proc/${tui}/environ`, "utf8").split("\0");
    for (const [k, v] of Object.entries(TUI_RUNTIME_ENV)) expect(env).toContain(`${k}=${v}`);
    expect(readFileSync(`/proc/${tui}/task/${tui}/children`, "utf8").trim()).toBe("");
    pane.keys("6");
    await waitScreen(/bfd_h1\s+10\.99\.0\.11\s.*\* Up\s+Up\s+100\/100\s+300ms x3/, 10_000);
    pane.keys("1");
    await waitScreen(/VI_1\s+eth0\s+51 - BACKUP/, 3_000);
    master.kill("SIGKILL");
    const ms = await waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, masterDownMs(1, 100) + 2_000);
    expect(ms).toBeLessThan(masterDownMs(1, 100) + 1_000 + 1_000); // + the TUI's 1 s poll
    pane.keys("Tab");
    await waitScreen(/\[2 Timeline\]/, 3_000);
    await waitScreen(/BACKUP -> MASTER|MASTER/, 3_000);
    // the peer's death took the BFD session Down (3 x 100 ms, long before the VRRP failover)
    pane.keys("6");
    await waitScreen(/bfd_h1\s+10\.99\.0\.11\s.*! Down/, 5_000);
    // the watched daemon dies: its last state stays, marked stale, never shown as live
    backup.kill("SIGKILL");
    pane.keys("1");
    await waitScreen(/STALE: no answer since/, 10_000);
    expect(screen()).toMatch(/VI_1\s+eth0\s+51 was MASTER/);
    expect(screen()).not.toMatch(/\* MASTER/);
    pane.keys("q");
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
    pane.close();
    lab?.destroy();
  });

  test("the daemon and its TUI in one process: q stops it as SIGTERM does (VIP removed) and exits 0", async () => {
    const conf = lab.file("tui.conf", instance({ priority: 150 }));
    const t = lab.tmpdir("h1");
    const files = `-p ${t}/t.pid -r ${t}/t-vrrp.pid --control-socket ${t}/t.sock -g${t}/tui.log`;
    open(`ip netns exec ${lab.ns("h1")} ${KEEL} -D -f ${conf} ${files}`);
    await waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, 30_000);
    expect(lab.hasAddr("h1", "10.99.0.100")).toBe(true);
    pane.keys("q");
    // not 143: the process ends by returning, not by a SIGTERM it sent itself
    await waitScreen(/EXIT=0/, 20_000);
    const log = await Bun.file(`${t}/tui.log`).text();
    // -D: keepalived writes "sent 0 priority" only with it (vrrp_restore_interface)
    expect(log).toContain("(VI_1) sent 0 priority");
    expect(log).toContain("Stopped Keel");
    expect(lab.hasAddr("h1", "10.99.0.100")).toBe(false);
  }, 60_000);
});

describe("keel demo under tmux", () => {
  afterAll(() => pane.close());
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
    pane.keys("x");
    await waitScreen(/r1: killed/, 5_000);
    pane.keys("n");
    await waitScreen(/router r2 \| connected/, 10_000);
    await waitScreen(/VI_DEMO\s+eth0\s+51 \* MASTER 100/, masterDownMs(1, 100, 3) + 3_000);
    const dir = /disconnected from (\S+)\/r\d\.sock/.exec(screen())?.[1];
    pane.keys("q");
    await waitScreen(/EXIT=0/, 20_000);
    expect(ns()).toEqual([]);
    if (dir) expect(existsSync(dir)).toBe(false);
  }, 90_000);
});
