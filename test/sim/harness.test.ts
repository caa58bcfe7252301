/**
 * The simulator itself: event order, determinism, loss, latency, partitions and
 * crashes behave as documented, so scenario failures point at the engine.
 */
import { describe, expect, test } from "bun:test";
import { EventHeap, Sim, globalDefs, mulberry32, vrrpInstance } from "./harness";

const conf = (p: number) => `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: p })}`;

describe("harness", () => {
  test("the heap pops by time, then by insertion order", () => {
    const h = new EventHeap<{ t: number; seq: number }>();
    const r = mulberry32(9);
    const all = Array.from({ length: 2000 }, (_, seq) => ({ t: Math.floor(r() * 50), seq }));
    for (const e of all) h.push(e);
    const out: { t: number; seq: number }[] = [];
    for (let e = h.pop(); e; e = h.pop()) out.push(e);
    expect(out).toEqual([...all].sort((x, y) => x.t - y.t || x.seq - y.seq));
  });

  test("mulberry32 is seeded and uniform enough", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  test("latency: an advert arrives exactly latency later; jitter stays within its bound", () => {
    const sim = new Sim({ seed: 1, latencyMs: 7, jitterMs: 3 });
    const a = sim.add({ name: "a", conf: conf(150) });
    const b = sim.add({ name: "b", conf: conf(100) });
    sim.runUntil(20_000);
    const sent = a.sent.map((s) => s.t);
    const got = b.received.map((r) => r.t);
    expect(got.length).toBe(sent.length);
    got.forEach((t, i) => {
      expect(t - sent[i]!).toBeGreaterThanOrEqual(7);
      expect(t - sent[i]!).toBeLessThan(10);
    });
  });

  test("loss drops about the configured share of packets, deterministically per seed", () => {
    const run = (seed: number) => {
      const sim = new Sim({ seed, loss: 0.25 });
      sim.add({ name: "a", conf: conf(150) });
      sim.add({ name: "b", conf: conf(100) });
      sim.add({ name: "c", conf: conf(50) });
      sim.runUntil(600_000);
      return sim.counts;
    };
    const x = run(5);
    expect(run(5)).toEqual(x);
    const share = x.lost / (x.lost + x.delivered);
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
  });

  test("a partition stops packets between groups only; a crashed node neither sends nor receives", () => {
    const sim = new Sim({ seed: 2 });
    const a = sim.add({ name: "a", conf: conf(150) });
    const b = sim.add({ name: "b", conf: conf(100) });
    const c = sim.add({ name: "c", conf: conf(50) });
    sim.runUntil(10_000);
    sim.partition(["a", "b"], ["c"]);
    const before = { b: b.received.length, c: c.received.length };
    sim.runUntil(12_000);
    expect(b.received.length).toBe(before.b + 2);
    expect(c.received.filter((r) => r.from === "a" && r.t > 10_000)).toEqual([]);
    sim.heal();
    sim.kill(a);
    expect(a.router).toBeUndefined();
    sim.runUntil(30_000);
    expect(a.received.filter((r) => r.t > 12_000)).toEqual([]);
    expect(sim.impaired()).toBe(false);
    sim.linkDown(b);
    expect(sim.impaired()).toBe(true);
  });

  test("waitFor returns the first virtual time the condition holds, and throws when it never does", () => {
    const sim = new Sim({ seed: 3 });
    sim.add({ name: "a", conf: conf(150) });
    expect(sim.waitFor(() => sim.masters(1).length === 1, 10_000)).toBe(3414.062);
    expect(() => sim.waitFor(() => sim.masters(1).length === 2, 5_000, "two masters")).toThrow(/two masters/);
    expect(sim.now).toBe(3414.062 + 5_000);
  });

  test("a bad config is a test error, not a silent default", () => {
    const sim = new Sim();
    expect(() => sim.add({ name: "x", conf: "vrrp_instance VI_1 {\n  virtual_router_id 300\n}" })).toThrow(
      /config errors/,
    );
  });
});
