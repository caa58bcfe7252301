/**
 * A lower-priority master that cannot hear the real one and advertises 100 times a
 * second (VRRPv3 advert_int 0.01, RFC 5798 5.2.7 allows centiseconds): the real master
 * answers it at most once per advert interval (src/vrrp/instance.ts answerLimited)
 * instead of once per advert (keepalived vrrp_state_master_rx), and the flood moves
 * neither its other instance's adverts nor anyone's state. Virtual time, exact counts.
 */
import { describe, expect, test } from "bun:test";
import { Sim, globalDefs, vrrpInstance } from "./harness";

function lab(): Sim {
  const sim = new Sim({ seed: 5, latencyMs: 1 });
  const two = (prio: number) =>
    [
      globalDefs(3),
      vrrpInstance({ name: "VI_1", vrid: 1, priority: prio, extra: ["garp_lower_prio_repeat 1"] }),
      vrrpInstance({ name: "VI_2", vrid: 2, priority: prio }),
    ].join("\n");
  sim.add({ name: "a", conf: two(150) });
  sim.add({ name: "b", conf: two(100) });
  sim.add({
    name: "f",
    conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 50, advertInt: 0.01 })}`,
  });
  // f hears nobody, so it is a master for VRID 1 all along; everyone hears f
  sim.setLink("a", "f", { loss: 1 }, false);
  sim.setLink("b", "f", { loss: 1 }, false);
  return sim;
}

describe("a lower-priority master advertising 100 times a second", () => {
  test("the master answers at most once per advert interval; VI_2 and the backups are untouched", () => {
    const sim = lab();
    const [a, b, f] = sim.nodes;
    sim.runUntil(10_000);
    expect(sim.masters(1).sort()).toEqual(["a", "f"]);
    expect(sim.masters(2)).toEqual(["a"]);
    const from = 10_000;
    sim.runUntil(30_000);
    const fromF = a!.received.filter((r) => r.t >= from && r.from === "f").length;
    expect(fromF).toBeGreaterThan(1_900); // 20 s at 100 a second
    const vi1 = a!.sent.filter((s) => s.t >= from && s.instance === "VI_1").map((s) => s.t);
    // 20 periodic adverts, plus at most one answer to f per interval: before the limit,
    // one answer per advert heard (≈2,000)
    expect(vi1.length).toBeGreaterThanOrEqual(20);
    expect(vi1.length).toBeLessThanOrEqual(2 * 20 + 1);
    const lines = a!.actions.filter((x) => x.t >= from && x.action.type === "master-rx-lower-pri").length;
    const garps = a!.garps.filter((g) => g.t >= from && g.instance === "VI_1").length;
    expect(lines).toBeLessThanOrEqual(21);
    expect(garps).toBeLessThanOrEqual(21);
    // VI_2 keeps its exact one-second rhythm
    const vi2 = a!.sent.filter((s) => s.t >= from && s.instance === "VI_2").map((s) => s.t);
    expect(vi2.length).toBe(20);
    for (let k = 1; k < vi2.length; k++) expect(vi2[k]! - vi2[k - 1]!).toBeCloseTo(1_000, 6);
    // nobody moved: a holds both, b backs up both, f never heard a
    expect(b!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    expect(b!.transitionsOf("VI_2", "MASTER")).toEqual([]);
    expect(a!.transitions.filter((t) => t.t >= from)).toEqual([]);
    expect(f!.state("VI_1")).toBe("MASTER");
  });

  test("when f starts hearing a, it steps down within one advert interval of a", () => {
    // the price of the limit: a answered f a moment ago (unheard), so f's next adverts
    // may wait for a's next advert, periodic or answer: RFC 5798's own bound (6.4.3
    // discards lower-priority adverts; answering them is keepalived's addition)
    const sim = lab();
    const [a, , f] = sim.nodes;
    sim.runUntil(10_000);
    sim.setLink("a", "f", { loss: 0 }, false);
    const t = sim.waitFor(() => f!.state("VI_1") === "BACKUP", 2_000, "f steps down");
    expect(t - 10_000).toBeLessThanOrEqual(1_000 + 2 * 1);
    expect(f!.transitionsOf("VI_1").at(-1)).toMatchObject({ to: "BACKUP", reason: "higher-priority-advert" });
    expect(a!.state("VI_1")).toBe("MASTER");
  });
});
