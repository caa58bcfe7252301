/**
 * Elections on a quiet segment: who becomes master, when (exact virtual times from
 * src/vrrp/timers.ts), and why (typed transition reasons).
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance } from "./harness";

describe("election", () => {
  test("3 nodes elect the highest priority, at exactly its Master_Down_Interval", () => {
    // one shared config, per-node priority through keepalived's @config-id lines
    const conf = `${globalDefs(3)}
vrrp_instance VI_1 {
  interface eth0
  state BACKUP
  virtual_router_id 51
  @a priority 150
  @b priority 100
  @c priority 50
  advert_int 1
  virtual_ipaddress {
    192.168.1.51/24
  }
}`;
    const sim = new Sim({ seed: 1 });
    const [a, b, c] = sim.addAll(["a", "b", "c"], conf);
    sim.runUntil(20_000);

    expect(sim.masters(51)).toEqual(["a"]);
    expect(sim.states("VI_1")).toEqual({ a: "MASTER", b: "BACKUP", c: "BACKUP" });
    // INIT → BACKUP at 0, BACKUP → MASTER when its own down timer ran out (nobody spoke before)
    expect(a!.transitions).toEqual([
      { t: 0, instance: "VI_1", from: "INIT", to: "BACKUP", reason: "init" },
      { t: masterDownMs(3, 100, 150), instance: "VI_1", from: "BACKUP", to: "MASTER", reason: "master-down-timer" },
    ]);
    expect(a!.transitions[1]!.t).toBe(3414.062);
    expect(b!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    expect(c!.transitionsOf("VI_1", "MASTER")).toEqual([]);
    // the master holds the VIP and announced it; the backups hold nothing
    expect(sim.holders("192.168.1.51")).toEqual(["a"]);
    expect(a!.garps.length).toBeGreaterThan(0);
    expect(a!.garps[0]!.t).toBe(3414.062);
    // one advert per second after the first, all at priority 150
    const sent = a!.sent.filter((s) => s.vrid === 51);
    expect(sent.length).toBe(17);
    sent.forEach((s, i) => {
      expect(s.priority).toBe(150);
      expect(s.t).toBeCloseTo(3414.062 + i * 1000, 6);
    });
    // the backups heard every one of them, and never spoke
    expect(b!.received.length).toBe(17);
    expect(c!.received.length).toBe(17);
    expect(b!.sent).toEqual([]);
    expect(c!.sent).toEqual([]);
  });

  test("equal priority: the higher primary IP address wins", () => {
    const sim = new Sim({ seed: 2 });
    const conf = `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 7, priority: 100 })}`;
    const [a, b, c] = sim.addAll(["a", "b", "c"], conf);
    expect([a!.ipv4, b!.ipv4, c!.ipv4]).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    sim.runUntil(10_000);

    expect(sim.masters(7)).toEqual(["c"]);
    // same priority, same timers: all three time out together, then the adverts cross
    const mdi = masterDownMs(3, 100, 100);
    expect(mdi).toBe(3609.375);
    for (const n of [a!, b!, c!]) expect(n.transitionsOf("VI_1", "MASTER").map((r) => r.t)).toEqual([mdi]);
    expect(a!.transitionsOf("VI_1", "BACKUP").at(-1)).toMatchObject({
      t: mdi,
      from: "MASTER",
      reason: "equal-priority-higher-ip",
    });
    expect(b!.transitionsOf("VI_1", "BACKUP").at(-1)).toMatchObject({
      t: mdi,
      from: "MASTER",
      reason: "equal-priority-higher-ip",
    });
    expect(sim.holders("192.168.1.7")).toEqual(["c"]);
  });

  test("equal priority over IPv6 compares the link-local source addresses", () => {
    const sim = new Sim({ seed: 3, latencyMs: 0.2 });
    const conf = `${globalDefs(3)}\n${vrrpInstance({ name: "VI_6", vrid: 9, priority: 100, family: 6 })}`;
    sim.add({ name: "a", conf, ipv6: "fe80::20" });
    sim.add({ name: "b", conf, ipv6: "fe80::3" });
    sim.add({ name: "c", conf, ipv6: "fe80::1:0" });
    sim.runUntil(10_000);
    // byte order: fe80::1:0 > fe80::20 > fe80::3
    expect(sim.masters(9, 6)).toEqual(["c"]);
    expect(sim.masters(9, 4)).toEqual([]);
  });

  test("priority 255 with state MASTER is master at once at start (address owner)", () => {
    const sim = new Sim({ seed: 4 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 255, state: "MASTER" })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 200 })}`,
    });
    sim.runUntil(0);
    expect(a.transitionsOf("VI_1", "MASTER")).toEqual([
      { t: 0, instance: "VI_1", from: "INIT", to: "MASTER", reason: "address-owner" },
    ]);
    expect(a.sent[0]).toMatchObject({ t: 0, priority: 255 });
    expect(sim.masters(1)).toEqual(["a"]);
    sim.runUntil(30_000);
    expect(sim.masters(1)).toEqual(["a"]);
    expect(b.transitionsOf("VI_1", "MASTER")).toEqual([]);

    // the owner restarts while b is master: master again at the instant it starts
    sim.stop("a");
    sim.waitFor(() => sim.masters(1).join() === "b", 2_000, "b takes over");
    sim.runUntil(40_000);
    sim.restart("a");
    sim.runUntil(40_000);
    expect(sim.masters(1)).toEqual(["a"]);
    expect(a.transitionsOf("VI_1", "MASTER").at(-1)).toMatchObject({ t: 40_000, reason: "address-owner" });
    expect(b.transitionsOf("VI_1", "BACKUP").at(-1)).toMatchObject({ t: 40_000, reason: "higher-priority-advert" });
  });

  test("255 VRIDs on one segment: 2 nodes x 255 instances all elect correctly", () => {
    const instances = (node: "a" | "b") =>
      Array.from({ length: 255 }, (_, i) => {
        const vrid = i + 1;
        // a wins the odd VRIDs, b the even ones; a few ties go to b (higher address)
        const high = vrid % 2 === 1 ? "a" : "b";
        const priority = vrid % 50 === 0 ? 100 : node === high ? 200 - (vrid % 90) : 100 - (vrid % 90);
        return vrrpInstance({ name: `VI_${vrid}`, vrid, priority, vips: [`172.16.${vrid}.1/32`] });
      }).join("\n");
    const sim = new Sim({ seed: 5, latencyMs: 0.1, jitterMs: 0.05 });
    const a = sim.add({ name: "a", conf: `${globalDefs(3)}\n${instances("a")}` });
    const b = sim.add({ name: "b", conf: `${globalDefs(3)}\n${instances("b")}` });
    expect(a.router!.instances.size).toBe(255);
    sim.runUntil(15_000);
    for (let vrid = 1; vrid <= 255; vrid++) {
      const want = vrid % 50 === 0 ? "b" : vrid % 2 === 1 ? "a" : "b";
      expect({ vrid, masters: sim.masters(vrid) }).toEqual({ vrid, masters: [want] });
      const winner = want === "a" ? a : b;
      const prio = winner.router!.instances.get(`VI_${vrid}`)!.effectivePriority;
      const first = winner.transitionsOf(`VI_${vrid}`, "MASTER")[0]!;
      // each winner took over when its own down timer ran out
      expect(first.t).toBe(masterDownMs(3, 100, prio));
      expect(sim.holders(`172.16.${vrid}.1`)).toEqual([want]);
    }
    // a router that handles 255 VRIDs never routed an advert to the wrong instance
    expect(a.router!.stats.unknown_vrid).toBe(0);
    expect(b.router!.stats.unknown_vrid).toBe(0);
  });
});
