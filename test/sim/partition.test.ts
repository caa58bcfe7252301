/**
 * Split brain: a partition gives each side its own master; when it heals, exactly one
 * master remains within one advert interval (plus the link latency).
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance } from "./harness";

function segment(seed: number, latencyMs: number, jitterMs = 0): Sim {
  const sim = new Sim({ seed, latencyMs, jitterMs });
  const prios: Record<string, number> = { a: 150, b: 100, c: 50 };
  for (const name of ["a", "b", "c"]) {
    sim.add({ name, conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: prios[name] })}` });
  }
  return sim;
}

describe("partition", () => {
  test("split brain during a partition, one master within one advert interval after it heals", () => {
    const latency = 2;
    const sim = segment(21, latency);
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);

    sim.partition(["a"], ["b", "c"]);
    sim.runUntil(20_000);
    // the far side elected its own master: two masters, each holding the VIP
    expect(sim.masters(1)).toEqual(["a", "b"]);
    expect(sim.holders("192.168.1.1")).toEqual(["a", "b"]);
    const heard = sim.node("b").lastRx((r) => r.from === "a")!;
    expect(sim.node("b").transitionsOf("VI_1", "MASTER")[0]!.t).toBe(heard.t + masterDownMs(3, 100, 100));

    sim.heal();
    const healedAt = sim.now;
    const one = sim.waitFor(() => sim.masters(1).length === 1, 1_000 + 2 * latency, "one master after heal");
    expect(one - healedAt).toBeLessThanOrEqual(1_000 + 2 * latency);
    expect(sim.masters(1)).toEqual(["a"]);
    expect(sim.node("b").transitionsOf("VI_1").at(-1)).toMatchObject({
      from: "MASTER",
      to: "BACKUP",
      reason: "higher-priority-advert",
    });
    // and it stays that way
    const end = sim.now + 30_000;
    for (let t = sim.now; t < end; t += 100) {
      sim.runUntil(t);
      expect(sim.masters(1)).toEqual(["a"]);
    }
    expect(sim.holders("192.168.1.1")).toEqual(["a"]);
  });

  test("heal at every phase of the advert cycle: always one master within one interval", () => {
    // sweep the heal instant across a whole second, with latency and jitter
    for (let k = 0; k < 20; k++) {
      const sim = segment(100 + k, 1, 3);
      sim.runUntil(10_000);
      sim.partition(["a", "c"], ["b"]);
      sim.runUntil(20_000 + k * 50);
      expect(sim.masters(1)).toEqual(["a", "b"]);
      sim.heal();
      const healedAt = sim.now;
      const t = sim.waitFor(() => sim.masters(1).length === 1, 1_000 + 2 * 4, `one master (k=${k})`);
      expect(t - healedAt).toBeLessThanOrEqual(1_008);
      expect(sim.masters(1)).toEqual(["a"]);
    }
  });

  test("a three-way partition gives three masters; healing one side at a time converges", () => {
    const sim = segment(22, 0.5);
    sim.runUntil(10_000);
    sim.partition(["a"], ["b"], ["c"]);
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["a", "b", "c"]);
    sim.partition(["a"], ["b", "c"]);
    sim.waitFor(() => sim.masters(1).length === 2, 1_002, "b and c merge");
    expect(sim.masters(1)).toEqual(["a", "b"]);
    sim.heal();
    sim.waitFor(() => sim.masters(1).length === 1, 1_002, "all merge");
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("an asymmetric link (a hears b, b does not hear a): b stays master, a stays master", () => {
    // not a partition the harness models by groups: per-link loss of 100% one way
    const sim = segment(23, 0);
    sim.runUntil(10_000);
    sim.setLink("a", "b", { loss: 1 }, false);
    sim.runUntil(20_000);
    // b no longer hears a and takes over; a hears b's lower adverts and answers, but b never hears
    expect(sim.masters(1)).toEqual(["a", "b"]);
    expect(sim.node("a").actions.some((x) => x.action.type === "master-rx-lower-pri")).toBe(true);
    sim.setLink("a", "b", { loss: 0 }, false);
    sim.waitFor(() => sim.masters(1).length === 1, 1_000, "link repaired");
    expect(sim.masters(1)).toEqual(["a"]);
  });
});
