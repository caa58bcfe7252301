/**
 * Losing and regaining the master: crash, graceful stop, preemption, preempt_delay,
 * nopreempt. Exact virtual times come from src/vrrp/timers.ts with zero latency.
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs, skewMs } from "../../src/vrrp/timers";
import { type InstanceOpts, Sim, globalDefs, vrrpInstance } from "./harness";

/** Three nodes a, b, c (10.0.0.1..3) running VI_1 / VRID 1 with the given priorities. */
function trio(prios: [number, number, number], extra: Partial<InstanceOpts>[] = [], seed = 1): Sim {
  const sim = new Sim({ seed });
  (["a", "b", "c"] as const).forEach((name, i) => {
    sim.add({
      name,
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: prios[i], ...extra[i] })}`,
    });
  });
  return sim;
}

const VIP = "192.168.1.1";

describe("failover", () => {
  test("master crash: the next-highest takes over exactly Master_Down_Interval after the last advert it heard", () => {
    const sim = trio([150, 100, 50]);
    const [a, b, c] = sim.nodes;
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    sim.kill("a");
    sim.runUntil(30_000);

    const heard = b!.lastRx((r) => r.from === "a")!;
    expect(heard.t).toBeCloseTo(9414.062, 6); // a's adverts: 3414.062 + k s
    const mdi = masterDownMs(3, 100, 100);
    expect(mdi).toBe(3609.375);
    const takeover = b!.transitionsOf("VI_1", "MASTER");
    expect(takeover).toHaveLength(1);
    expect(takeover[0]!.t).toBe(heard.t + mdi);
    expect(takeover[0]!.reason).toBe("master-down-timer");
    // c (50) heard b's first advert before its own, longer, timer ran out
    expect(c!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    expect(c!.lastRx((r) => r.from === "b")!.priority).toBe(100);
    expect(sim.masters(1)).toEqual(["b"]);
    // a crash sends no priority-0 advert and leaves the VIP configured on the dead node
    expect(a!.sent.some((s) => s.priority === 0)).toBe(false);
    expect(sim.holders(VIP)).toEqual(["a", "b"]);
  });

  test("graceful stop: a priority-0 advert, takeover after Skew_Time only", () => {
    const sim = trio([150, 100, 50]);
    const [a, b, c] = sim.nodes;
    sim.runUntil(10_000);
    sim.stop("a");
    expect(a!.sent.at(-1)).toMatchObject({ t: 10_000, priority: 0 });
    expect(a!.transitionsOf("VI_1").at(-1)).toMatchObject({
      t: 10_000,
      from: "MASTER",
      to: "STOP",
      reason: "shutdown",
    });
    // the stopping master gives its VIPs back
    expect(a!.allVips()).toEqual([]);
    sim.runUntil(20_000);

    const skew = skewMs(3, 100, 100);
    expect(skew).toBe(609.375);
    expect(b!.transitionsOf("VI_1", "MASTER")).toEqual([
      { t: 10_000 + skew, instance: "VI_1", from: "BACKUP", to: "MASTER", reason: "priority-zero-received" },
    ]);
    // c's shorter priority-0 timer (skew of 50 = 804.6875 ms) was reset by b's advert
    expect(c!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    expect(sim.holders(VIP)).toEqual(["b"]);
    expect(b!.router!.instances.get("VI_1")!.stats.pri_zero_rcvd).toBe(1);
  });

  test("preemption: the higher node comes back and takes over once its down timer runs out", () => {
    const sim = trio([150, 100, 50]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    sim.stop("a");
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["b"]);
    sim.restart("a");
    sim.runUntil(40_000);

    // a ignores b's lower-priority adverts, so its start-up down timer runs out
    const mdiA = masterDownMs(3, 100, 150);
    expect(a!.transitionsOf("VI_1", "MASTER").at(-1)).toEqual({
      t: 20_000 + mdiA,
      instance: "VI_1",
      from: "BACKUP",
      to: "MASTER",
      reason: "preempt",
    });
    expect(b!.transitionsOf("VI_1").at(-1)).toEqual({
      t: 20_000 + mdiA,
      instance: "VI_1",
      from: "MASTER",
      to: "BACKUP",
      reason: "higher-priority-advert",
    });
    expect(sim.masters(1)).toEqual(["a"]);
    expect(sim.holders(VIP)).toEqual(["a"]);
  });

  test("preempt_delay: the higher node waits the delay (from the first lower advert) before preempting", () => {
    const sim = trio([150, 100, 50], [{ preemptDelay: 5 }]);
    const [a] = sim.nodes;
    sim.runUntil(10_000);
    sim.stop("a");
    sim.runUntil(20_000);
    sim.restart("a");
    sim.runUntil(60_000);

    const fromB = a!.received.filter((r) => r.from === "b" && r.t >= 20_000);
    const first = fromB[0]!;
    // keepalived vrrp_state_backup: preempt_time = first lower advert + delay; adverts before it are accepted
    const preemptAt = first.t + 5_000;
    const lastAccepted = fromB.filter((r) => r.t < preemptAt).at(-1)!;
    const takeover = a!.transitionsOf("VI_1", "MASTER").at(-1)!;
    expect(takeover.t).toBeGreaterThanOrEqual(preemptAt);
    expect(takeover.t).toBe(lastAccepted.t + masterDownMs(3, 100, 150));
    expect(takeover.reason).toBe("preempt");
    expect(sim.masters(1)).toEqual(["a"]);

    // the same restart without the delay preempts one Master_Down_Interval after starting
    const plain = trio([150, 100, 50]);
    plain.runUntil(10_000);
    plain.stop("a");
    plain.runUntil(20_000);
    plain.restart("a");
    plain.runUntil(60_000);
    expect(plain.node("a").transitionsOf("VI_1", "MASTER").at(-1)!.t).toBe(20_000 + masterDownMs(3, 100, 150));
    expect(takeover.t).toBeGreaterThan(20_000 + masterDownMs(3, 100, 150) + 4_000);
  });

  test("nopreempt: the higher node comes back and stays BACKUP", () => {
    const sim = trio([150, 100, 50], [{ nopreempt: true }]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    // nopreempt does not stop the first election: nobody else was master
    expect(sim.masters(1)).toEqual(["a"]);
    sim.stop("a");
    sim.runUntil(20_000);
    sim.restart("a");
    sim.runUntil(120_000);
    expect(sim.masters(1)).toEqual(["b"]);
    expect(a!.transitionsOf("VI_1", "MASTER").filter((r) => r.t >= 20_000)).toEqual([]);
    expect(a!.state("VI_1")).toBe("BACKUP");
    expect(b!.transitionsOf("VI_1", "BACKUP").filter((r) => r.t >= 20_000)).toEqual([]);
    // ... until b goes away: then a takes over like any backup
    sim.kill("b");
    sim.runUntil(130_000);
    expect(sim.masters(1)).toEqual(["a"]);
    expect(a!.transitionsOf("VI_1", "MASTER").at(-1)!.reason).toBe("master-down-timer");
  });

  test("state MASTER without priority 255 is not an owner: it waits its down timer like everyone", () => {
    const sim = trio([150, 100, 50], [{ state: "MASTER" }]);
    sim.runUntil(10_000);
    expect(sim.node("a").transitionsOf("VI_1", "MASTER")[0]).toMatchObject({
      t: masterDownMs(3, 100, 150),
      reason: "master-down-timer",
    });
  });

  test("a master answering a lower-priority advert restarts its advert timer (keepalived vrrp_dispatcher_read)", () => {
    // b (lower) becomes master during a partition; at the heal a hears b's advert first,
    // answers at once ("forcing new election") and, like keepalived, sends its next
    // periodic advert one advert interval after that answer.
    const sim = trio([150, 100, 50]);
    const [a] = sim.nodes;
    sim.runUntil(10_000);
    sim.partition(["a"], ["b", "c"]);
    sim.runUntil(20_000);
    expect(sim.masters(1).sort()).toEqual(["a", "b"]);
    // b's adverts run at 13023.437 + k s; a's at 3414.062 + k s: heal between, so b speaks first
    sim.runUntil(20_500);
    sim.heal();
    sim.runUntil(25_000);
    const answer = a!.received.find((r) => r.t >= 20_500 && r.from === "b")!;
    expect(answer.t).toBeCloseTo(21_023.437, 3);
    const after = a!.sent.filter((s) => s.t >= answer.t);
    expect(after[0]!.t).toBe(answer.t); // the immediate answer
    expect(after[1]!.t).toBe(answer.t + 1_000); // keepalived: vrrp_init_instance_sands after the packet
  });

  test("restart after a crash removes the VIPs the crash left behind (keepalived vrrp_init_state)", () => {
    const sim = trio([150, 100, 50]);
    const [a] = sim.nodes;
    sim.runUntil(10_000);
    sim.kill("a");
    sim.runUntil(20_000);
    expect(sim.holders(VIP)).toEqual(["a", "b"]);
    sim.restart("a");
    sim.runUntil(20_000);
    // keepalived starts every non-owner instance with vrrp_restore_interface(vrrp, false, true):
    // a forced delete of its VIPs, so a restarted backup does not keep a stale copy
    expect(a!.allVips()).toEqual([]);
    expect(sim.holders(VIP)).toEqual(["b"]);
  });

  test("vrrp_strict clears preempt_delay (keepalived vrrp_complete_instance): preemption after the down timer only", () => {
    const sim = new Sim({ seed: 9 });
    const strict = globalDefs(3, ["vrrp_strict"]);
    const a = sim.add({
      name: "a",
      conf: `${strict}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, preemptDelay: 5 })}`,
    });
    sim.add({ name: "b", conf: `${strict}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}` });
    sim.runUntil(10_000);
    sim.stop(a);
    sim.runUntil(20_000);
    sim.restart(a);
    sim.runUntil(40_000);
    // "preempt_delay is incompatible with strict mode - resetting": a preempts like any backup
    expect(a.transitionsOf("VI_1", "MASTER").at(-1)).toMatchObject({
      t: 20_000 + masterDownMs(3, 100, 150),
      reason: "preempt",
    });
  });

  test("GARPs on takeover: garp_master_repeat at once, again after garp_master_delay, then silence", () => {
    const sim = trio([150, 100, 50]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    sim.kill("a");
    sim.runUntil(60_000);
    const t = b!.transitionsOf("VI_1", "MASTER")[0]!.t;
    // keepalived defaults: vrrp_garp_master_repeat 5, vrrp_garp_master_delay 5 s, no refresh
    expect(b!.garps).toEqual([
      { t, instance: "VI_1", addresses: [VIP], count: 5 },
      { t: t + 5_000, instance: "VI_1", addresses: [VIP], count: 5 },
    ]);
    // the first master did the same at its own takeover
    expect(a!.garps.map((g) => g.t)).toEqual([masterDownMs(3, 100, 150), masterDownMs(3, 100, 150) + 5_000]);
    // the `garp` command sends one more burst, on the master only
    sim.command(b!, { type: "garp", instance: "VI_1" });
    sim.command(sim.node("c"), { type: "garp", instance: "VI_1" });
    expect(b!.garps.at(-1)).toMatchObject({ t: 60_000, count: 5 });
    expect(sim.node("c").garps).toEqual([]);
  });

  test("notify order on a takeover: the new master's MASTER notify, the old master's BACKUP", () => {
    const sim = trio([150, 100, 50]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    sim.stop(a!);
    sim.restart(a!);
    sim.runUntil(30_000);
    const notifies = (n: typeof a) =>
      n!.actions.filter((x) => x.action.type === "notify").map((x) => ({ t: x.t, ...(x.action as { state: string }) }));
    expect(notifies(a).map((x) => x.state)).toEqual(["BACKUP", "MASTER", "STOP", "BACKUP", "MASTER"]);
    expect(notifies(b).map((x) => x.state)).toEqual(["BACKUP", "MASTER", "BACKUP"]);
    // the MASTER notify carries the priority it won with
    expect(notifies(a).at(-1)).toMatchObject({ kind: "INSTANCE", name: "VI_1", state: "MASTER", priority: 150 });
  });
});
