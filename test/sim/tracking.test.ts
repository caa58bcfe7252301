/**
 * Trackers on the simulated segment: weights move priorities (failover and failback),
 * a weight-0 failure is a FAULT with a priority-0 advert, a link going down is a FAULT,
 * and a sync group moves together.
 */
import { describe, expect, test } from "bun:test";
import { masterDownMs, skewMs } from "../../src/vrrp/timers";
import { Sim, globalDefs, vrrpInstance, vrrpScript } from "./harness";

describe("tracking", () => {
  test("a script weight drives failover and failback", () => {
    const sim = new Sim({ seed: 11 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpScript("chk_web", -60)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, trackScripts: ["chk_web"] })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}`,
    });
    sim.track(a, { kind: "script", name: "chk_web", ok: true });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);

    // the check fails: 150 - 60 = 90 < 100
    sim.track(a, { kind: "script", name: "chk_web", ok: false });
    expect(a.router!.instances.get("VI_1")!.effectivePriority).toBe(90);
    sim.runUntil(20_000);
    // a keeps advertising, now at 90; b discards those and its down timer (set by the
    // last advert it accepted, at 150) runs out
    expect(a.sent.find((s) => s.t > 10_000)!.priority).toBe(90);
    const lastAccepted = b.lastRx((r) => r.priority === 150)!;
    expect(lastAccepted.t).toBeCloseTo(9414.062, 6);
    expect(b.transitionsOf("VI_1", "MASTER")).toEqual([
      {
        t: lastAccepted.t + masterDownMs(3, 100, 100),
        instance: "VI_1",
        from: "BACKUP",
        to: "MASTER",
        reason: "preempt",
      },
    ]);
    expect(a.transitionsOf("VI_1").at(-1)).toMatchObject({
      from: "MASTER",
      to: "BACKUP",
      reason: "higher-priority-advert",
    });
    expect(sim.masters(1)).toEqual(["b"]);
    expect(sim.holders("192.168.1.1")).toEqual(["b"]);

    // the check recovers: a is 150 again and preempts b
    sim.track(a, { kind: "script", name: "chk_web", ok: true });
    expect(a.router!.instances.get("VI_1")!.effectivePriority).toBe(150);
    sim.runUntil(30_000);
    expect(sim.masters(1)).toEqual(["a"]);
    const back = a.transitionsOf("VI_1", "MASTER").at(-1)!;
    expect(back.reason).toBe("preempt");
    // the running down timer moved with the priority (keepalived vrrp_set_effective_priority):
    // it now ends Master_Down_Interval(150) after the last advert a accepted from b
    const lastFromB = a.lastRx((r) => r.from === "b" && r.t <= 20_000)!;
    expect(back.t).toBeCloseTo(lastFromB.t + masterDownMs(3, 100, 150), 6);
    expect(b.transitionsOf("VI_1").at(-1)).toMatchObject({ t: back.t, to: "BACKUP", reason: "higher-priority-advert" });
  });

  test("a weight-0 tracker failing puts the master in FAULT with a priority-0 advert", () => {
    const sim = new Sim({ seed: 12 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpScript("chk_db", 0)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, trackScripts: ["chk_db"] })}`,
    });
    const b = sim.add({
      name: "b",
      conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}`,
    });
    sim.track(a, { kind: "script", name: "chk_db", ok: true });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);

    sim.track(a, { kind: "script", name: "chk_db", ok: false });
    expect(a.transitionsOf("VI_1").at(-1)).toEqual({
      t: 10_000,
      instance: "VI_1",
      from: "MASTER",
      to: "FAULT",
      reason: "track-fault",
    });
    expect(a.sent.at(-1)).toMatchObject({ t: 10_000, priority: 0 });
    expect(a.allVips()).toEqual([]);
    sim.runUntil(20_000);
    expect(b.transitionsOf("VI_1", "MASTER")).toEqual([
      {
        t: 10_000 + skewMs(3, 100, 100),
        instance: "VI_1",
        from: "BACKUP",
        to: "MASTER",
        reason: "priority-zero-received",
      },
    ]);
    // in FAULT a neither sends nor listens
    expect(a.sent.filter((s) => s.t > 10_000)).toEqual([]);
    expect(a.state("VI_1")).toBe("FAULT");

    // recovery: BACKUP first, then preemption once its down timer runs out
    sim.track(a, { kind: "script", name: "chk_db", ok: true });
    expect(a.transitionsOf("VI_1").at(-1)).toEqual({
      t: 20_000,
      instance: "VI_1",
      from: "FAULT",
      to: "BACKUP",
      reason: "track-recovered",
    });
    sim.runUntil(30_000);
    expect(a.transitionsOf("VI_1").at(-1)).toEqual({
      t: 20_000 + masterDownMs(3, 100, 150),
      instance: "VI_1",
      from: "BACKUP",
      to: "MASTER",
      reason: "preempt",
    });
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("a track_script with init_fail starts in FAULT", () => {
    const sim = new Sim({ seed: 13 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpScript("chk", 0, ["init_fail"])}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, trackScripts: ["chk"] })}`,
    });
    sim.add({ name: "b", conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}` });
    sim.runUntil(10_000);
    expect(a.state("VI_1")).toBe("FAULT");
    expect(sim.masters(1)).toEqual(["b"]);
    sim.track(a, { kind: "script", name: "chk", ok: true });
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("link down: FAULT, nothing gets out, the backup takes over after its down timer; link up: back", () => {
    const sim = new Sim({ seed: 14 });
    const conf = (p: number) => `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: p })}`;
    const a = sim.add({ name: "a", conf: conf(150) });
    const b = sim.add({ name: "b", conf: conf(100) });
    sim.runUntil(10_000);
    sim.linkDown(a);
    expect(a.transitionsOf("VI_1").at(-1)).toMatchObject({
      t: 10_000,
      from: "MASTER",
      to: "FAULT",
      reason: "interface-down",
    });
    sim.runUntil(20_000);
    // a's priority-0 advert never left the box: b waits its full down timer
    expect(b.received.some((r) => r.priority === 0)).toBe(false);
    const heard = b.lastRx((r) => r.from === "a")!;
    expect(b.transitionsOf("VI_1", "MASTER")).toEqual([
      {
        t: heard.t + masterDownMs(3, 100, 100),
        instance: "VI_1",
        from: "BACKUP",
        to: "MASTER",
        reason: "master-down-timer",
      },
    ]);
    sim.linkUp(a);
    expect(a.transitionsOf("VI_1").at(-1)).toMatchObject({
      t: 20_000,
      from: "FAULT",
      to: "BACKUP",
      reason: "interface-up",
    });
    sim.runUntil(30_000);
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("sync group: one member faults, the whole group fails over, and comes back together", () => {
    const conf = (p: number, track: boolean) => `${globalDefs(3)}
${vrrpScript("chk_ext", 0)}
vrrp_sync_group G1 {
  group {
    VI_EXT
    VI_INT
  }
}
${vrrpInstance({ name: "VI_EXT", vrid: 10, priority: p, trackScripts: track ? ["chk_ext"] : undefined })}
${vrrpInstance({ name: "VI_INT", vrid: 20, priority: p })}`;
    const sim = new Sim({ seed: 15 });
    const a = sim.add({ name: "a", conf: conf(150, true) });
    const b = sim.add({ name: "b", conf: conf(100, false) });
    sim.track(a, { kind: "script", name: "chk_ext", ok: true });
    sim.runUntil(10_000);
    expect([sim.masters(10), sim.masters(20)]).toEqual([["a"], ["a"]]);

    sim.track(a, { kind: "script", name: "chk_ext", ok: false });
    // both members leave MASTER at once, each with a priority-0 advert
    expect(a.transitionsOf("VI_EXT").at(-1)).toMatchObject({ t: 10_000, to: "FAULT", reason: "track-fault" });
    expect(a.transitionsOf("VI_INT").at(-1)).toMatchObject({ t: 10_000, to: "FAULT", reason: "sync-group" });
    expect(
      a.sent
        .filter((s) => s.t === 10_000 && s.priority === 0)
        .map((s) => s.vrid)
        .sort((x, y) => x - y),
    ).toEqual([10, 20]);
    sim.runUntil(20_000);
    expect([sim.masters(10), sim.masters(20)]).toEqual([["b"], ["b"]]);
    const tb = 10_000 + skewMs(3, 100, 100);
    expect(b.transitionsOf("VI_EXT", "MASTER").map((r) => r.t)).toEqual([tb]);
    expect(b.transitionsOf("VI_INT", "MASTER").map((r) => r.t)).toEqual([tb]);
    expect(a.allVips()).toEqual([]);
    expect(b.allVips()).toEqual(["192.168.1.10", "192.168.1.20"]);
    const groupNotifies = b.actions
      .filter((x) => x.action.type === "notify" && x.action.kind === "GROUP")
      .map((x) => x.action);
    expect(groupNotifies.at(-1)).toMatchObject({ name: "G1", state: "MASTER" });

    sim.track(a, { kind: "script", name: "chk_ext", ok: true });
    expect([a.state("VI_EXT"), a.state("VI_INT")]).toEqual(["BACKUP", "BACKUP"]);
    sim.runUntil(30_000);
    expect([sim.masters(10), sim.masters(20)]).toEqual([["a"], ["a"]]);
    const ta = a.transitionsOf("VI_EXT", "MASTER").at(-1)!.t;
    expect(a.transitionsOf("VI_INT", "MASTER").at(-1)!.t).toBe(ta);
  });

  test("sync group: no member goes master until every member wants to (vrrp_sync_can_goto_master)", () => {
    // c runs VI_EXT alone at 200. While c is master of VRID 10, the group members on a
    // and b cannot all want MASTER, so nobody takes VRID 20 either (keepalived prefers
    // BACKUP to a split group). When c dies, a's group goes master for both at once.
    const conf = (pExt: number, pInt: number) => `${globalDefs(3)}
vrrp_sync_group G1 {
  group {
    VI_EXT
    VI_INT
  }
}
${vrrpInstance({ name: "VI_EXT", vrid: 10, priority: pExt })}
${vrrpInstance({ name: "VI_INT", vrid: 20, priority: pInt })}`;
    const sim = new Sim({ seed: 16 });
    sim.add({ name: "a", conf: conf(150, 150) });
    const b = sim.add({ name: "b", conf: conf(100, 100) });
    sim.add({ name: "c", conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_EXT", vrid: 10, priority: 200 })}` });
    sim.runUntil(10_000);
    expect(sim.masters(10)).toEqual(["c"]);
    expect(sim.masters(20)).toEqual([]);
    sim.kill("c");
    sim.runUntil(20_000);
    // a's VI_EXT is a group member too: a goes master for both
    expect([sim.masters(10), sim.masters(20)]).toEqual([["a"], ["a"]]);
    expect(b.transitionsOf("VI_EXT", "MASTER")).toEqual([]);
  });
});

describe("sync group start", () => {
  test("members configured MASTER wait one interval plus the smallest skew (keepalived vrrp_init_state)", () => {
    const sim = new Sim({ seed: 41 });
    const group = (state: "MASTER" | "BACKUP", prio: number) =>
      `${globalDefs(3)}\nvrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: prio, state })}\n${vrrpInstance({ name: "VI_2", vrid: 2, priority: prio, state })}`;
    const a = sim.add({ name: "a", conf: group("MASTER", 150) });
    sim.add({ name: "b", conf: group("BACKUP", 100) });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    expect(sim.masters(2)).toEqual(["a"]);
    expect(a.transitionsOf("VI_1", "MASTER")[0]?.t).toBe(1000 + 3.906);
  });
});

describe("address owner and trackers", () => {
  test("address owner after a fault: BACKUP with a full Master_Down_Interval, then master (keepalived try_up_instance)", () => {
    // keepalived: down_instance() sets wantstate FAULT, so try_up_instance() takes the
    // BACKUP branch, and vrrp_state_leave_fault() sets ms_down_timer = VRRP_MS_DOWN_TIMER
    // (3 x adver_int + skew(255)) whatever try_up_instance computed before it
    const sim = new Sim({ seed: 17 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpScript("chk", 0)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 255, state: "MASTER", trackScripts: ["chk"] })}`,
    });
    sim.add({ name: "b", conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}` });
    sim.track(a, { kind: "script", name: "chk", ok: true });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    sim.track(a, { kind: "script", name: "chk", ok: false });
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["b"]);
    sim.track(a, { kind: "script", name: "chk", ok: true });
    expect(a.transitionsOf("VI_1").at(-1)).toMatchObject({ t: 20_000, from: "FAULT", to: "BACKUP" });
    sim.runUntil(30_000);
    expect(masterDownMs(3, 100, 255)).toBe(3003.906);
    expect(a.transitionsOf("VI_1", "MASTER").at(-1)).toMatchObject({
      t: 20_000 + masterDownMs(3, 100, 255),
      from: "BACKUP",
    });
  });

  test("address owner waiting for its weight-0 script's first result is master the moment it succeeds", () => {
    // keepalived: vrrp_init_state leaves wantstate MASTER while num_script_init > 0; the
    // first success calls try_up_instance(vrrp, leaving_init = true, ...) whose
    // vrrp_state_leave_fault() sees wantstate MASTER and calls vrrp_state_goto_master()
    const sim = new Sim({ seed: 18 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpScript("chk", 0)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 255, state: "MASTER", trackScripts: ["chk"] })}`,
    });
    sim.add({ name: "b", conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}` });
    sim.runUntil(10_000);
    expect(a.state("VI_1")).toBe("FAULT");
    expect(sim.masters(1)).toEqual(["b"]);
    sim.track(a, { kind: "script", name: "chk", ok: true });
    sim.runUntil(10_000);
    expect(a.transitionsOf("VI_1").at(-1)).toMatchObject({ t: 10_000, from: "FAULT", to: "MASTER" });
    expect(sim.masters(1)).toEqual(["a"]);
  });
});

describe("init wait for weight-0 scripts", () => {
  test("a first result that fails: FAULT notify, no passing BACKUP; a later success comes up as BACKUP", () => {
    // keepalived: num_script_init is not a fault flag, so the first failure is down_instance()
    // on an instance with no flags (FAULT notify, state already FAULT); the success that
    // follows is try_up_instance() with wantstate FAULT, so BACKUP
    const sim = new Sim({ seed: 19 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}\n${vrrpScript("chk", 0)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 255, state: "MASTER", trackScripts: ["chk"] })}`,
    });
    sim.runUntil(5_000);
    sim.track(a, { kind: "script", name: "chk", ok: false });
    sim.runUntil(6_000);
    const notifies = a.actions
      .filter((x) => x.action.type === "notify")
      .map((x) => (x.action as { state: string }).state);
    expect(notifies).toEqual(["FAULT"]);
    expect(a.transitionsOf("VI_1").map((t) => t.to)).toEqual(["FAULT"]);
    sim.track(a, { kind: "script", name: "chk", ok: true });
    expect(a.transitionsOf("VI_1").at(-1)).toMatchObject({ t: 6_000, from: "FAULT", to: "BACKUP" });
  });
});

describe("track_bfd", () => {
  const conf = (p: number, weight: string, inGroup: boolean) => `${globalDefs(3)}
bfd_instance bfd_gw {
  neighbor_ip 192.168.1.254
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
${inGroup ? "  track_bfd {\n    bfd_gw\n  }\n" : ""}}
${vrrpInstance({ name: "VI_1", vrid: 1, priority: p, extra: inGroup ? [] : ["track_bfd {", `  bfd_gw${weight}`, "}"] })}`;

  for (const inGroup of [false, true])
    test(`weight 0${inGroup ? " (the sync group's)" : ""}: FAULT until the session's first Up, and again when it leaves Up`, () => {
      // keepalived: alloc_vrrp_tracked_bfd starts the session down (bfd_up = false)
      const sim = new Sim({ seed: 17 });
      const a = sim.add({ name: "a", conf: conf(150, " weight 0", inGroup) });
      const b = sim.add({ name: "b", conf: conf(100, " weight 0", inGroup) });
      sim.track(b, { kind: "bfd", name: "bfd_gw", up: true });
      sim.runUntil(10_000);
      expect(a.state("VI_1")).toBe("FAULT");
      expect(sim.masters(1)).toEqual(["b"]);
      sim.track(a, { kind: "bfd", name: "bfd_gw", up: true });
      sim.runUntil(20_000);
      expect(sim.masters(1)).toEqual(["a"]);
      sim.track(a, { kind: "bfd", name: "bfd_gw", up: false });
      expect(a.state("VI_1")).toBe("FAULT");
      sim.runUntil(30_000);
      expect(sim.masters(1)).toEqual(["b"]);
    });

  test("a weighted session moves the priority (bfd_vrrp_weight_handler)", () => {
    const sim = new Sim({ seed: 18 });
    const a = sim.add({
      name: "a",
      conf: `${globalDefs(3)}
bfd_instance bfd_gw {
  neighbor_ip 192.168.1.254
}
${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, extra: ["track_bfd {", "  bfd_gw weight -60", "}"] })}`,
    });
    sim.add({ name: "b", conf: `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 100 })}` });
    sim.runUntil(10_000);
    // down: 150 − 60 = 90 < 100
    expect(sim.masters(1)).toEqual(["b"]);
    sim.track(a, { kind: "bfd", name: "bfd_gw", up: true });
    sim.runUntil(20_000);
    expect(sim.masters(1)).toEqual(["a"]);
  });
});
