/**
 * Operations from the TUI (issue 19), the compiled binary under tmux: `keel attach` on the
 * master of two routers in namespaces; switchover with a reason hands the VIP to the backup
 * (proved by the backup's own MASTER line), the hold is shown, release brings the master back
 * (preemption); maintenance on and off do the same. Then `keel fleet` over exec: targets: maintenance
 * on h1's cell from the fleet screen. rs drain needs IPVS: test/tui/ops.test.tsx.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ensureKeel, HOOK_TIMEOUT_MS, instance, KEEL, Lab, masterFirst, type Proc } from "../../netns/harness";
import { Pane } from "./tmux";

describe("operations from keel attach under tmux", () => {
  let lab: Lab;
  let master: Proc;
  let backup: Proc;
  const pane = new Pane(`keel-ops-e2e-${process.pid}`, [160, 30]);
  beforeAll(async () => {
    ensureKeel();
    lab = Lab.create(["h1", "h2"]);
    ({ master, backup } = await masterFirst(
      () => lab.keel("h1", instance({ priority: 150 })),
      () => lab.keel("h2", instance({ priority: 100 })),
    ));
  }, HOOK_TIMEOUT_MS);
  afterAll(() => {
    pane.close();
    lab?.destroy();
  });

  /** the next line matching `re` that `p` logs after now */
  const next = (p: Proc, re: RegExp) => {
    const from = p.lines.length;
    return (ms: number) => p.waitFor(re, ms, from);
  };

  test("s + reason + enter: the backup takes over, the hold is shown; S releases and the master preempts back; m / M likewise; the operations are in the Events log", async () => {
    // keel-0 is h1's daemon (masterFirst starts it first)
    pane.open(`${KEEL} attach --control-socket ${lab.tmpdir("h1")}/keel-0.sock`);
    await pane.waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, 10_000);

    let takeover = next(backup, /\(VI_1\) Entering MASTER STATE/);
    pane.keys("s");
    await pane.waitScreen(/switchover VI_1 \(hand MASTER over to a backup\)\? reason \(optional\): _/, 5_000);
    pane.keys("-l", "e2e kernel");
    pane.keys("Enter");
    await takeover(15_000);
    await pane.waitScreen(/switchover VI_1 \(hand MASTER over to a backup\): done/, 10_000);
    await pane.waitScreen(/VI_1\s+eth0\s+51 - BACKUP \(switchover\)/, 10_000);
    expect(lab.hasAddr("h2", "10.99.0.100")).toBe(true);
    // who and why, in the detail
    pane.keys("Enter");
    await pane.waitScreen(/held\s+switchover by root \(uid 0, pid \d+\): e2e kernel/, 5_000);
    pane.keys("Escape");
    await pane.waitScreen(/\[1 Instances\]/, 5_000);

    let back = next(master, /\(VI_1\) Entering MASTER STATE/);
    pane.keys("S");
    await pane.waitScreen(/release the switchover hold on VI_1\?/, 5_000);
    pane.keys("y");
    await back(15_000);
    await pane.waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, 10_000);
    expect(pane.screen()).not.toMatch(/\(switchover\)/);

    takeover = next(backup, /\(VI_1\) Entering MASTER STATE/);
    pane.keys("m");
    await pane.waitScreen(/maintenance ON for VI_1 \(stays BACKUP\)\?/, 5_000);
    pane.keys("y");
    await takeover(15_000);
    await pane.waitScreen(/VI_1\s+eth0\s+51 - BACKUP \(maintenance\)/, 10_000);

    back = next(master, /\(VI_1\) Entering MASTER STATE/);
    pane.keys("M");
    await pane.waitScreen(/maintenance OFF for VI_1\?/, 5_000);
    pane.keys("Enter");
    await back(15_000);
    await pane.waitScreen(/VI_1\s+eth0\s+51 \* MASTER/, 10_000);

    pane.keys("5");
    // the operation events, who and why, as the daemon logged them
    await pane.waitScreen(/switchover hold released/, 5_000);
    const s = pane.screen();
    expect(s).toMatch(
      /VI_1 switchover: resigned \(priority 0 sent\), holding BACKUP until released, by root \(uid 0, pid \d+\): "e2e kernel"/,
    );
    expect(s).toMatch(/VI_1 switchover hold released, by root/);
    expect(s).toMatch(/maintenance on for VI_1: held BACKUP, by root/);
    expect(s).toMatch(/maintenance off for VI_1, by root/);
    pane.keys("q");
    await pane.waitScreen(/EXIT=0/, 10_000);
  }, 90_000);

  test("keel fleet: m on h1's cell puts h1 in maintenance over its exec: target (h2 takes over, the cell shows the hold); M ends it", async () => {
    const target = (h: string, n: number) =>
      `${h}='exec:ip netns exec ${lab.ns(h)} ${KEEL} control --stdio --control-socket ${lab.tmpdir(h)}/keel-${n}.sock'`;
    // --timeout: each exec: target starts a keel binary, which on a loaded machine has needed 3 s
    pane.open(`${KEEL} fleet --timeout 20 ${target("h1", 0)} ${target("h2", 1)}`);
    await pane.waitScreen(/4\/51\s+VI_1\s+h1\s+MASTER 150\s+BACKUP 100/, 30_000);
    const takeover = next(backup, /\(VI_1\) Entering MASTER STATE/);
    pane.keys("m");
    await pane.waitScreen(/h1: maintenance ON for VI_1 \(stays BACKUP\)\? reason/, 5_000);
    pane.keys("-l", "fleet e2e");
    pane.keys("Enter");
    await takeover(15_000);
    await pane.waitScreen(/h1: maintenance ON for VI_1 \(stays BACKUP\): done/, 10_000);
    await pane.waitScreen(/VI_1\s+h2\s+BACKUP 150 \(maintenance\)\s+MASTER 100/, 10_000);
    await pane.waitScreen(/maintenance on for VI_1: held BACKUP, by root \(uid 0, pid \d+\): "fleet e2e"/, 5_000);
    const back = next(master, /\(VI_1\) Entering MASTER STATE/);
    pane.keys("M");
    await pane.waitScreen(/h1: maintenance OFF for VI_1\?/, 5_000);
    pane.keys("y");
    await back(15_000);
    await pane.waitScreen(/VI_1\s+h1\s+MASTER 150\s+BACKUP 100/, 10_000);
    pane.keys("q");
    await pane.waitScreen(/EXIT=0/, 10_000);
  }, 90_000);
});
