/**
 * Operators' holds on a simulated segment (the engine's `hold` command, as `keel
 * switchover` and `keel maintenance` send it): exact virtual times with zero latency.
 * Three nodes a, b, c at priorities 150, 100, 50; VRRPv3, advert_int 1 s.
 */
import { describe, expect, test } from "bun:test";
import type { Hold } from "../../src/vrrp/cause";
import { masterDownMs, skewMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance } from "./harness";

const conf = (priority: number) => `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority })}`;

function trio(): Sim {
  const sim = new Sim({ seed: 1 });
  sim.add({ name: "a", conf: conf(150) });
  sim.add({ name: "b", conf: conf(100) });
  sim.add({ name: "c", conf: conf(50) });
  return sim;
}

const hold = (kind: Hold["kind"], on: boolean) => ({
  type: "hold" as const,
  instance: "VI_1",
  hold: { kind, by: "root (uid 0, pid 1)", reason: "test" },
  on,
});

describe("switchover", () => {
  test("the master resigns with priority 0: b takes over after exactly its Skew_Time; a does not preempt until released", () => {
    const sim = trio();
    const [a, b, c] = sim.nodes;
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    sim.command("a", hold("switchover", true));
    expect(a!.sent.at(-1)).toMatchObject({ t: 10_000, priority: 0 });
    expect(a!.transitionsOf("VI_1").at(-1)).toMatchObject({ t: 10_000, from: "MASTER", to: "BACKUP", reason: "hold" });
    sim.runUntil(60_000);
    // RFC 5798 6.4.2: priority 0 sets the backups' Master_Down_Timer to Skew_Time
    const takeover = b!.transitionsOf("VI_1", "MASTER");
    expect(takeover).toHaveLength(1);
    expect(takeover[0]).toMatchObject({ t: 10_000 + skewMs(3, 100, 100), reason: "priority-zero-received" });
    expect(c!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    // 50 s of b's lower-priority adverts: a (150) would have preempted after 3.4 s
    expect(a!.transitionsOf("VI_1", "MASTER")).toHaveLength(1);
    expect(sim.masters(1)).toEqual(["b"]);
    sim.command("a", hold("switchover", false));
    sim.runUntil(70_000);
    // released: b's adverts no longer reset a's timer, which runs out from the last reset
    const back = a!.transitionsOf("VI_1", "MASTER").at(-1);
    expect(back?.reason).toBe("preempt");
    expect(back?.t).toBeLessThanOrEqual(60_000 + masterDownMs(3, 100, 150));
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("a held old master still takes over when the new master dies (a hold is no outage)", () => {
    const sim = trio();
    const [a] = sim.nodes;
    sim.runUntil(10_000);
    sim.command("a", hold("switchover", true));
    sim.runUntil(20_000);
    sim.kill("b");
    sim.runUntil(40_000);
    // a (150) has the shorter Master_Down_Interval of the two left
    expect(a!.transitionsOf("VI_1", "MASTER").at(-1)?.reason).toBe("master-down-timer");
    expect(sim.masters(1)).toEqual(["a"]);
  });
});

describe("maintenance", () => {
  test("a held node never becomes MASTER, even alone; off, it takes over at its next down timer", () => {
    const sim = trio();
    const [a] = sim.nodes;
    sim.runUntil(10_000);
    sim.command("a", hold("maintenance", true));
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["b"]);
    sim.kill("b");
    sim.runUntil(30_000);
    expect(sim.masters(1)).toEqual(["c"]);
    sim.kill("c");
    sim.runUntil(60_000);
    expect(sim.masters(1)).toEqual([]);
    expect(a!.state("VI_1")).toBe("BACKUP");
    sim.command("a", hold("maintenance", false));
    sim.runUntil(60_000 + masterDownMs(3, 100, 150));
    expect(sim.masters(1)).toEqual(["a"]);
    expect(a!.transitionsOf("VI_1", "MASTER").at(-1)?.reason).toBe("master-down-timer");
  });

  test("a reload that changes the instance keeps the hold (takeOver carries it)", () => {
    const sim = trio();
    const [a] = sim.nodes;
    sim.runUntil(10_000);
    sim.command("a", hold("maintenance", true));
    sim.runUntil(15_000);
    sim.reload("a", conf(200));
    sim.runUntil(40_000);
    expect(a!.router?.instances.get("VI_1")?.holds()).toEqual([
      { kind: "maintenance", by: "root (uid 0, pid 1)", reason: "test" },
    ]);
    expect(a!.transitionsOf("VI_1", "MASTER")).toHaveLength(1);
    expect(sim.masters(1)).toEqual(["b"]);
  });
});
