/**
 * timer_expired_backup (keepalived 2.4) end to end in virtual time: two nopreempt routers,
 * a (150) master, b (100) backup. a's process stalls for 5 s (Sim.freeze: its timers and
 * the packets reaching it wait): b hears nothing for Master_Down_Interval and takes over.
 * When a runs again, without the keyword it sends its next advert at 150 and b, MASTER
 * hearing a higher priority, gives the VIP back, nopreempt or not; with it, a sees that
 * it ran late enough for a takeover (2 intervals + the Skew_Time of the highest other
 * priority) and its last advert is old enough (3 intervals + that skew) and goes BACKUP
 * before handling anything, so b stays MASTER.
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance } from "./harness";

const VIP = "192.168.1.1";

function pair(keyword: string[]): Sim {
  const sim = new Sim({ seed: 1 });
  for (const [name, priority] of [
    ["a", 150],
    ["b", 100],
  ] as const)
    sim.add({
      name,
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, nopreempt: true, extra: keyword })}`,
    });
  return sim;
}

describe("timer_expired_backup in a stalled master", () => {
  test("with it (highest other priority 100): the late master yields, the one that took over stays", () => {
    const sim = pair(["timer_expired_backup 100"]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    const lastAdvert = a!.sent.at(-1)!.t;
    sim.freeze("a", 15_000);
    sim.runUntil(20_000);
    // b took over once a's adverts stopped
    expect(b!.transitionsOf("VI_1", "MASTER")).toMatchObject([
      { t: b!.lastRx((r) => r.from === "a")!.t + masterDownMs(3, 100, 100), reason: "master-down-timer" },
    ]);
    // a, running again at 15 s: to BACKUP at once, no advert sent since the stall
    expect(a!.transitionsOf("VI_1").at(-1)).toMatchObject({ t: 15_000, to: "BACKUP", reason: "timer-expired-backup" });
    expect(a!.sent.filter((s) => s.t > lastAdvert)).toEqual([]);
    expect(sim.masters(1)).toEqual(["b"]);
    expect(sim.holders(VIP)).toEqual(["b"]);
    // and it follows b from then on (nopreempt)
    sim.runUntil(40_000);
    expect(sim.masters(1)).toEqual(["b"]);
  });

  test("without it: the late master's next advert takes the VIP back from the one that took over", () => {
    const sim = pair([]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    sim.freeze("a", 15_000);
    sim.runUntil(20_000);
    expect(b!.transitionsOf("VI_1", "MASTER")).toHaveLength(1);
    expect(b!.transitionsOf("VI_1").at(-1)).toMatchObject({ to: "BACKUP", reason: "higher-priority-advert" });
    expect(a!.transitionsOf("VI_1", "BACKUP").filter((t) => t.t > 10_000)).toEqual([]);
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("a stall too short for a takeover changes nothing", () => {
    const sim = pair(["timer_expired_backup 100"]);
    const [a, b] = sim.nodes;
    sim.runUntil(10_000);
    sim.freeze("a", 11_500);
    sim.runUntil(20_000);
    expect(a!.transitionsOf("VI_1").filter((t) => t.t > 10_000)).toEqual([]);
    expect(b!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    expect(sim.masters(1)).toEqual(["a"]);
  });
});
