/**
 * Advert intervals: VRRPv3 backups adopt the master's interval (RFC 5798 6.4.2) and
 * their down timer follows; VRRPv2 drops adverts whose interval differs (RFC 3768 7.1,
 * keepalived vrrp_check_packet: advert_interval_err, VRRP_PACKET_DROP).
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance } from "./harness";

describe("advert intervals", () => {
  test("v3: a backup with advert_int 1 adopts the master's 0.5 s and its down timer follows", () => {
    const sim = new Sim({ seed: 31 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, advertInt: 0.5 })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, advertInt: 1 })}`,
    });
    sim.runUntil(10_000);
    // a: its own 50 cs timers
    expect(a.transitionsOf("VI_1", "MASTER")[0]!.t).toBe(masterDownMs(3, 50, 150));
    expect(a.sent.every((s) => s.advertIntCs === 50)).toBe(true);
    const inst = b.router!.instances.get("VI_1")!;
    expect(inst.masterAdverIntCs).toBe(50);
    expect(inst.msDownTimerMs).toBe(masterDownMs(3, 50, 100));
    expect(inst.msDownTimerMs).toBe(1804.687);

    sim.kill(a);
    sim.runUntil(20_000);
    const heard = b.lastRx((r) => r.from === "a")!;
    expect(b.transitionsOf("VI_1", "MASTER")).toEqual([
      {
        t: heard.t + masterDownMs(3, 50, 100),
        instance: "VI_1",
        from: "BACKUP",
        to: "MASTER",
        reason: "master-down-timer",
      },
    ]);
    // as master, b advertises its own configured interval
    expect(b.sent.at(-1)!.advertIntCs).toBe(100);
    expect(b.sent.at(-1)!.t - b.sent.at(-2)!.t).toBe(1_000);
  });

  test("v3: a backup with advert_int 0.5 adopts a slower master's 2 s (and waits longer)", () => {
    const sim = new Sim({ seed: 32 });
    sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 200, advertInt: 2 })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, advertInt: 0.5 })}`,
    });
    sim.runUntil(30_000);
    // b's own down timer (1804.687 ms) would have run out first: b was master until a spoke
    expect(b.transitionsOf("VI_1", "MASTER")[0]!.t).toBe(masterDownMs(3, 50, 100));
    expect(sim.masters(1)).toEqual(["a"]);
    expect(b.router!.instances.get("VI_1")!.masterAdverIntCs).toBe(200);
    sim.kill("a");
    sim.runUntil(60_000);
    const heard = b.lastRx((r) => r.from === "a")!;
    expect(b.transitionsOf("VI_1", "MASTER").at(-1)!.t).toBe(heard.t + masterDownMs(3, 200, 100));
  });

  test("v3: a master that steps down for a faster master adopts that master's interval", () => {
    const sim = new Sim({ seed: 33 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, advertInt: 0.25 })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, advertInt: 1 })}`,
    });
    sim.runUntil(5_000);
    sim.stop(a);
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["b"]);
    sim.restart(a);
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["a"]);
    // b went MASTER → BACKUP on a's higher advert and took a's interval with it
    expect(b.router!.instances.get("VI_1")!.masterAdverIntCs).toBe(25);
  });

  test("v2: adverts with a different interval are dropped, counted, and the backup becomes master", () => {
    const sim = new Sim({ seed: 34 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(2)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, advertInt: 1 })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(2)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, advertInt: 2 })}`,
    });
    sim.runUntil(5_000);
    // v2 skew is (256 - priority) / 256 s, whatever the interval
    expect(a.transitionsOf("VI_1", "MASTER")[0]!.t).toBe(masterDownMs(2, 100, 150));
    expect(masterDownMs(2, 100, 150)).toBe(3414.062);
    sim.runUntil(30_000);
    const st = b.router!.instances.get("VI_1")!.stats;
    const fromA = b.received.filter((r) => r.from === "a");
    expect(fromA.length).toBeGreaterThan(0);
    // every one of a's adverts reached b and was dropped for its interval
    expect(st.advert_interval_err).toBe(fromA.length);
    expect(st.advert_rcvd).toBe(0);
    // ... so b's start-up down timer was never reset: master at 3 x 2 s + skew(100)
    expect(b.transitionsOf("VI_1", "MASTER")[0]).toEqual({
      t: masterDownMs(2, 200, 100),
      instance: "VI_1",
      from: "BACKUP",
      to: "MASTER",
      reason: "master-down-timer",
    });
    expect(masterDownMs(2, 200, 100)).toBe(6609.375);
    // the same holds the other way: two masters that ignore each other
    expect(sim.masters(1)).toEqual(["a", "b"]);
    expect(a.router!.instances.get("VI_1")!.stats.advert_interval_err).toBeGreaterThan(0);
  });

  test("v2: matching intervals and PASS authentication elect normally; a wrong password is an auth_failure", () => {
    const sim = new Sim({ seed: 35 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(2)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, authPass: "secret1" })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(2)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100, authPass: "secret1" })}`,
    });
    const c = sim.add({
      name: "c",
      conf: `${globalDefs(2)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 50, authPass: "other" })}`,
    });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a", "c"]);
    expect(b.transitionsOf("VI_1", "MASTER")).toEqual([]);
    expect(b.router!.instances.get("VI_1")!.stats.advert_rcvd).toBeGreaterThan(0);
    expect(c.router!.instances.get("VI_1")!.stats.auth_failure).toBeGreaterThan(0);
    expect(a.router!.instances.get("VI_1")!.stats.auth_failure).toBeGreaterThan(0);
  });
});
