/**
 * Split brain and its heal, as the winner sees it (issue 18 "Seen on the wire"): the
 * partition gives two masters; after the heal the higher one reports the dual master,
 * then its end, and re-announces its VIPs (GARP) in BOTH heal orders: it hears the
 * loser's periodic advert first, or the loser hears it first and yields. In the second
 * order only the loser's yield advert (keel's default higher_prio_send_advert) tells the
 * winner; with keepalived's default (off) the winner sends nothing, which the last test
 * shows so this one can fail.
 */
import { describe, expect, test } from "bun:test";
import type { Observation } from "../../src/vrrp/types";
import { Sim, globalDefs, vrrpInstance } from "./harness";

const VIP = "192.168.1.1";

function pair(seed: number, latencyMs: number, jitterMs: number, keepaliveDefault = false, family: 4 | 6 = 4): Sim {
  const sim = new Sim({ seed, latencyMs, jitterMs });
  const extra = keepaliveDefault ? ["vrrp_higher_prio_send_advert false"] : [];
  for (const [name, priority] of [
    ["a", 150],
    ["b", 100],
  ] as const)
    sim.add({ name, conf: `${globalDefs(3, extra)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, family })}` });
  return sim;
}

function observed(sim: Sim, node: string, since: number): { t: number; o: Observation }[] {
  return sim
    .node(node)
    .actions.filter((x) => x.t >= since)
    .flatMap((x) => (x.action.type === "observed" ? [{ t: x.t, o: x.action.observation }] : []));
}

interface Heal {
  healedAt: number;
  /** the loser yielded before any of its adverts sent as master after the heal */
  loserFirst: boolean;
  /** the winner's GARPs after the heal */
  garps: number[];
}

/** Partition a | b long enough for b to take over, heal at `phaseMs` into a second, settle. */
function splitAndHeal(sim: Sim, phaseMs: number, family: 4 | 6 = 4): Heal {
  sim.runUntil(5_000);
  expect(sim.masters(1, family)).toEqual(["a"]);
  sim.partition(["a"], ["b"]);
  sim.runUntil(12_000 + phaseMs);
  expect(sim.masters(1, family)).toEqual(["a", "b"]);
  sim.heal();
  const healedAt = sim.now;
  sim.waitFor(() => sim.masters(1, family).length === 1, 1_100, "one master after the heal");
  expect(sim.masters(1, family)).toEqual(["a"]);
  sim.run(10_000);
  const yieldAt = sim.node("b").transitionsOf("VI_1", "BACKUP").at(-1)?.t as number;
  expect(yieldAt).toBeGreaterThanOrEqual(healedAt);
  const loserFirst = !sim.node("b").sent.some((s) => s.t >= healedAt && s.t < yieldAt && s.priority > 0);
  const garps = sim
    .node("a")
    .garps.filter((g) => g.t >= healedAt)
    .map((g) => g.t);
  return { healedAt, loserFirst, garps };
}

describe("dual master", () => {
  test("every heal order, over seeds, latencies and phases: reported, ended, and the winner re-announces", () => {
    const orders = { loserFirst: 0, winnerFirst: 0 };
    let runs = 0;
    for (const latency of [0.2, 1, 5, 40])
      for (let k = 0; k < 10; k++) {
        const sim = pair(1000 + runs, latency, latency / 2);
        const h = splitAndHeal(sim, k * 97);
        runs++;
        if (h.loserFirst) orders.loserFirst++;
        else orders.winnerFirst++;
        const what = `latency ${latency} ms, phase ${k * 97} ms (${h.loserFirst ? "loser yields first" : "winner hears first"})`;
        // the winner's first GARP after the heal comes within an advert interval plus a round trip
        expect(h.garps.length, what).toBeGreaterThan(0);
        expect((h.garps[0] as number) - h.healedAt, what).toBeLessThanOrEqual(1_000 + 3 * latency);
        // the loser is gone from the VIP
        expect(sim.holders(VIP), what).toEqual(["a"]);
        // the winner reports the dual master and then its end, with itself as the winner
        const obs = observed(sim, "a", h.healedAt).map((x) => x.o);
        expect(obs, what).toEqual([
          { kind: "dual-master", peer: sim.node("b").ipv4, peerPriority: 100, ourPriority: 150 },
          expect.objectContaining({
            kind: "dual-master-over",
            peer: sim.node("b").ipv4,
            how: "peer-silent",
            winner: sim.node("a").ipv4,
          }),
        ]);
        // the loser reports no dual master: from its side a heal looks like a preemption
        expect(observed(sim, "b", 0), what).toEqual([]);
      }
    // both orders occurred: the loser-first one is the case the yield advert exists for
    expect(orders.loserFirst).toBeGreaterThan(3);
    expect(orders.winnerFirst).toBeGreaterThan(3);
  });

  test("IPv6: the winner re-announces (unsolicited NA) in both heal orders", () => {
    const orders = new Set<boolean>();
    for (let k = 0; k < 12; k++) {
      const sim = pair(3000 + k, 1, 0.5, false, 6);
      const h = splitAndHeal(sim, k * 83, 6);
      orders.add(h.loserFirst);
      expect(h.garps.length, `phase ${k * 83} ms`).toBeGreaterThan(0);
      expect(observed(sim, "a", h.healedAt).map((x) => x.o.kind)).toEqual(["dual-master", "dual-master-over"]);
    }
    expect([...orders].sort()).toEqual([false, true]);
  });

  test("a preemption is not a dual master: the preempted master's yield advert comes within the first interval", () => {
    for (const latency of [0.2, 5, 40]) {
      const sim = new Sim({ seed: 77, latencyMs: latency, jitterMs: latency / 2, autoStart: false });
      for (const [name, priority] of [
        ["a", 150],
        ["b", 100],
      ] as const)
        sim.add({ name, conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority })}` });
      sim.start("b");
      sim.runUntil(5_000);
      expect(sim.masters(1)).toEqual(["b"]);
      sim.start("a");
      sim.run(10_000);
      expect(sim.masters(1)).toEqual(["a"]);
      // b yielded with an advert at 100 and a heard it, answering as to any lower master
      const yieldAt = sim.node("b").transitionsOf("VI_1", "BACKUP").at(-1)?.t as number;
      expect(sim.node("b").sent.some((x) => x.t === yieldAt && x.priority === 100)).toBe(true);
      expect(sim.node("a").received.some((r) => r.from === "b" && r.t > yieldAt)).toBe(true);
      expect(observed(sim, "a", 0), `latency ${latency}`).toEqual([]);
      expect(observed(sim, "b", 0)).toEqual([]);
    }
  });

  test("the dual master's end is 3 of the loser's intervals after its last advert", () => {
    const sim = pair(7, 1, 0);
    const h = splitAndHeal(sim, 500);
    const obs = observed(sim, "a", h.healedAt);
    const begin = obs.find((x) => x.o.kind === "dual-master") as { t: number };
    const end = obs.find((x) => x.o.kind === "dual-master-over") as { t: number; o: Observation };
    const lastFromB = sim
      .node("a")
      .received.filter((r) => r.from === "b" && r.t <= end.t)
      .at(-1)?.t as number;
    expect(end.t - lastFromB).toBeGreaterThanOrEqual(3_000);
    expect(end.t - lastFromB).toBeLessThanOrEqual(3_000 + 1_000); // noticed at the winner's next advert timer
    expect(end.o).toMatchObject({ lastingMs: end.t - begin.t });
  });

  test("keepalived's default (vrrp_higher_prio_send_advert false): a loser-first heal leaves the winner silent", () => {
    let silent = 0;
    let loserFirst = 0;
    for (let k = 0; k < 20; k++) {
      const sim = pair(2000 + k, 1, 0.5, true);
      const h = splitAndHeal(sim, k * 53);
      if (!h.loserFirst) {
        expect(h.garps.length).toBeGreaterThan(0); // it heard a lower master: answered with GARPs
        continue;
      }
      loserFirst++;
      if (h.garps.length === 0) silent++;
    }
    expect(loserFirst).toBeGreaterThan(0);
    expect(silent).toBe(loserFirst);
  });
});
