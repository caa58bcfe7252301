/**
 * Unicast peers (adverts go to each unicast_peer; check_unicast_src accepts only them)
 * and VRRPv2 AH authentication end to end through the real codec.
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance } from "./harness";

const unicastConf = (prio: number, self: string, peers: string[], extra: string[] = []) =>
  `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: prio, unicastSrcIp: self, unicastPeers: peers, extra })}`;

describe("unicast peers", () => {
  test("adverts go to each peer only; a crash moves the master at Master_Down_Interval", () => {
    const sim = new Sim({ seed: 5 });
    const a = sim.add({ name: "a", conf: unicastConf(150, "10.0.0.1", ["10.0.0.2"]) });
    const b = sim.add({ name: "b", conf: unicastConf(100, "10.0.0.2", ["10.0.0.1"]) });
    const c = sim.add({
      name: "c",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 50 })}`,
    });
    sim.runUntil(10_000);
    expect(sim.masters(1).sort()).toEqual(["a", "c"]); // c is multicast: it never hears the unicast pair
    // the unicast pair's adverts reach only each other; c's multicast ones reach b, which
    // rejects them ("Expected unicast packet but received multicast": addr_list_err)
    expect(c.received.length).toBe(0);
    expect(b.received.some((r) => r.from === "c")).toBe(true);
    expect(b.router?.instances.get("VI_1")?.stats.addr_list_err).toBeGreaterThan(0);
    sim.kill(a);
    sim.runUntil(20_000);
    const heard = b.lastRx((r) => r.from === "a");
    expect(b.transitionsOf("VI_1", "MASTER")[0]?.t).toBe((heard?.t ?? 0) + masterDownMs(3, 100, 100));
  });

  test("check_unicast_src: adverts from an address that is not a peer are ignored", () => {
    const sim = new Sim({ seed: 6 });
    sim.add({ name: "a", conf: unicastConf(100, "10.0.0.1", ["10.0.0.2"], ["check_unicast_src"]) });
    sim.add({ name: "b", conf: unicastConf(50, "10.0.0.2", ["10.0.0.1"]) });
    // c is not a peer of a, but sends higher-priority adverts to it
    sim.add({ name: "c", conf: unicastConf(200, "10.0.0.3", ["10.0.0.1"]) });
    sim.runUntil(15_000);
    expect(sim.masters(1).sort()).toEqual(["a", "c"]);
    expect(sim.node("a").router?.instances.get("VI_1")?.state).toBe("MASTER");
  });
});

describe("VRRPv2 AH authentication", () => {
  const ah = (prio: number, pass: string) =>
    `${globalDefs(2)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: prio, extra: ["authentication {", `  auth_type AH`, `  auth_pass ${pass}`, "}"] })}`;

  test("a pair with the same key elects one master; the backup follows the master's sequence numbers", () => {
    const sim = new Sim({ seed: 7 });
    const a = sim.add({ name: "a", conf: ah(150, "k3y") });
    const b = sim.add({ name: "b", conf: ah(100, "k3y") });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    const ia = a.router?.instances.get("VI_1");
    const ib = b.router?.instances.get("VI_1");
    expect(ib?.stats.auth_failure).toBe(0);
    expect(ib?.ahSeq).toBe(ia?.ahSeq);
    // the backup takes over above the old master's numbers
    sim.kill(a);
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["b"]);
  });

  test("a wrong key: both count auth failures and both become master, as keepalived does", () => {
    const sim = new Sim({ seed: 8 });
    const a = sim.add({ name: "a", conf: ah(150, "right") });
    const b = sim.add({ name: "b", conf: ah(100, "wrong") });
    sim.runUntil(10_000);
    expect(sim.masters(1).sort()).toEqual(["a", "b"]);
    expect(a.router?.instances.get("VI_1")?.stats.auth_failure).toBeGreaterThan(0);
    expect(b.router?.instances.get("VI_1")?.stats.auth_failure).toBeGreaterThan(0);
  });
});
