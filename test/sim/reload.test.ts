/**
 * Reload (SIGHUP) in virtual time: unchanged instances run on with no transition and no
 * gap in their adverts; a changed master stays MASTER under its new parameters; an added
 * instance starts like a new one; a removed one stops with a priority-0 advert.
 */
import { describe, expect, test } from "bun:test";
import { Sim, globalDefs, vrrpInstance } from "./harness";

const conf = (specs: { vrid: number; priority: number }[]) =>
  `${globalDefs(3)}\n${specs.map((s) => vrrpInstance({ name: `VI_${s.vrid}`, vrid: s.vrid, priority: s.priority })).join("\n")}`;
const range = (n: number, priority: number) => Array.from({ length: n }, (_, i) => ({ vrid: i + 1, priority }));

describe("reload", () => {
  test("50 masters, one added and one changed: the other 49 advertise without a gap and nothing leaves MASTER", () => {
    const sim = new Sim({ seed: 31 });
    const a = sim.add({ name: "a", conf: conf(range(50, 150)) });
    const b = sim.add({ name: "b", conf: conf([...range(50, 100), { vrid: 51, priority: 100 }]) });
    sim.runUntil(10_000);
    expect(sim.masters(1)).toEqual(["a"]);
    const T = 10_400;
    sim.runUntil(T);
    const changed = range(50, 150).map((s) => (s.vrid === 7 ? { vrid: 7, priority: 200 } : s));
    sim.reload(a, conf([...changed, { vrid: 51, priority: 150 }]));
    sim.runUntil(25_000);
    // nothing of a's 50 left MASTER, nothing of b moved
    const after = (n: typeof a) => n.transitions.filter((t) => t.t >= T);
    expect(after(a).filter((t) => t.instance !== "VI_51")).toEqual([]);
    expect(after(b).filter((t) => t.instance !== "VI_51")).toEqual([]);
    // every instance kept its one-second rhythm across the reload
    for (let vrid = 1; vrid <= 50; vrid++) {
      const times = a.sent.filter((s) => s.vrid === vrid && s.t > T - 2_000 && s.t < T + 3_000).map((s) => s.t);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      expect(Math.max(...gaps), `VI_${vrid}: ${times.join(" ")}`).toBeLessThanOrEqual(1_000);
    }
    // the changed one advertises its new priority; the VIPs never went away
    expect(a.sent.filter((s) => s.vrid === 7 && s.t > T).every((s) => s.priority === 200)).toBe(true);
    // (the added instance's start-up clean-up is its own)
    expect(a.actions.filter((x) => x.t >= T && x.action.type === "del-vips" && x.action.instance !== "VI_51")).toEqual(
      [],
    );
    // the added one starts in BACKUP and wins (b has it at 100)
    expect(
      after(a)
        .filter((t) => t.instance === "VI_51")
        .map((t) => t.to),
    ).toEqual(["BACKUP", "MASTER"]);
    expect(sim.masters(51)).toEqual(["a"]);
  });

  test("a removed master stops with a priority-0 advert and its VIPs go; the backup takes over after Skew_Time", () => {
    const sim = new Sim({ seed: 32 });
    const a = sim.add({ name: "a", conf: conf(range(2, 150)) });
    const b = sim.add({ name: "b", conf: conf(range(2, 100)) });
    sim.runUntil(10_000);
    sim.reload(a, conf([{ vrid: 1, priority: 150 }]));
    expect(a.sent.filter((s) => s.vrid === 2 && s.t === 10_000).map((s) => s.priority)).toEqual([0]);
    expect(a.allVips()).toEqual(["192.168.1.1"]);
    sim.runUntil(12_000);
    expect(sim.masters(2)).toEqual(["b"]);
    expect(b.transitionsOf("VI_2", "MASTER").at(-1)?.t).toBeLessThan(10_000 + 700);
    expect(sim.masters(1)).toEqual(["a"]);
  });

  test("a tracked script's result survives the reload (no return to the init wait)", () => {
    const script = 'vrrp_script chk {\n  script "/bin/true"\n  weight 0\n}\n';
    const text = `${globalDefs(3)}\n${script}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority: 150, trackScripts: ["chk"] })}`;
    const sim = new Sim({ seed: 33 });
    const a = sim.add({ name: "a", conf: text });
    sim.track(a, { kind: "script", name: "chk", ok: true });
    sim.runUntil(10_000);
    expect(a.state("VI_1")).toBe("MASTER");
    sim.reload(a, text.replace("advert_int 1", "advert_int 1"));
    sim.runUntil(15_000);
    expect(a.transitions.filter((t) => t.t >= 10_000)).toEqual([]);
  });

  test("a changed BACKUP goes on as BACKUP: no transition, no notify, a new Master_Down timer (keepalived restore_vrrp_state)", () => {
    const sim = new Sim({ seed: 34 });
    const a = sim.add({ name: "a", conf: conf([{ vrid: 1, priority: 150 }]) });
    const b = sim.add({ name: "b", conf: conf([{ vrid: 1, priority: 100 }]) });
    sim.runUntil(10_000);
    expect(b.state("VI_1")).toBe("BACKUP");
    const T = 10_300;
    sim.runUntil(T);
    sim.reload(b, conf([{ vrid: 1, priority: 90 }]));
    sim.runUntil(20_000);
    // keepalived: the state is copied, vrrp_init_state changes nothing ("(init)" only on a change)
    expect(b.transitions.filter((t) => t.t >= T)).toEqual([]);
    expect(b.actions.filter((x) => x.t >= T && x.action.type !== "send-advert")).toEqual([]);
    expect(sim.masters(1)).toEqual(["a"]);
    // its Master_Down timer runs: a gone, b takes over within Master_Down_Interval
    sim.kill(a);
    sim.runUntil(25_000);
    expect(sim.masters(1)).toEqual(["b"]);
  });

  // keepalived's reload cancels every timer thread (reload_vrrp_thread → thread_cleanup_master)
  // and makes new vrrp_t's: a master advertises at once (vrrp_init_instance_sands), a
  // pending garp_master_delay burst does not come, the refresh (garp_refresh_timer unset)
  // comes with that advert; addresses the reload added get a burst first (clear_diff_vrrp
  // after restore_vrrp_state). Seen live: test/interop/reload-garp.test.ts
  const garpConf = (priority: number, vips = ["192.168.1.1/32"]) =>
    `${globalDefs(3)}\n${vrrpInstance({ name: "VI_1", vrid: 1, priority, vips, extra: ["garp_master_delay 5", "garp_master_refresh 10"] })}`;
  /** VI_1's GARP bursts from `from` on: when, how many frames each address, which addresses */
  const bursts = (n: { actions: { t: number; action: { type: string } }[] }, from: number) =>
    n.actions
      .filter((x) => x.t >= from && x.action.type === "send-garp")
      .map((x) => {
        const a = x.action as unknown as { addresses: string[]; count: number };
        return { t: x.t, count: a.count, addresses: a.addresses.join(" ") };
      });

  test("a reloaded master advertises at once; its pending garp_master_delay burst does not come; the refresh comes with that advert", () => {
    for (const reload of [false, true]) {
      const sim = new Sim({ seed: 35 });
      const a = sim.add({ name: "a", conf: garpConf(150) });
      sim.runUntil(4_500);
      const became = a.transitionsOf("VI_1", "MASTER")[0]!.t;
      // the burst on becoming MASTER (garp_master_repeat 5), the delayed one due 5 s later
      expect(bursts(a, 0)).toEqual([{ t: became, count: 5, addresses: "192.168.1.1" }]);
      const T = became + 2_300; // between two adverts
      sim.runUntil(T);
      expect(sim.now).toBe(T);
      if (reload) sim.reload(a, garpConf(150));
      sim.runUntil(T + 15_000);
      const adverts = a.sent.filter((x) => x.vrid === 1 && x.t >= T).map((x) => x.t);
      // reloaded: at once, then every second from there
      if (reload) expect(adverts.slice(0, 3)).toEqual([T, T + 1_000, T + 2_000]);
      expect(bursts(a, T)).toEqual(
        reload
          ? [
              // no delayed burst; garp_master_refresh_repeat (1) with that advert, then every 10 s
              { t: adverts[0]!, count: 1, addresses: "192.168.1.1" },
              { t: adverts[0]! + 10_000, count: 1, addresses: "192.168.1.1" },
            ]
          : [
              { t: became + 5_000, count: 5, addresses: "192.168.1.1" },
              { t: became + 10_000, count: 1, addresses: "192.168.1.1" },
            ],
      );
      expect(a.transitions.filter((x) => x.t >= T)).toEqual([]);
    }
  });

  test("a changed master that gained an address sends a burst for all of them, then its advert; one that gained none, only the refresh with its advert", () => {
    for (const gained of [true, false]) {
      const sim = new Sim({ seed: 36 });
      const a = sim.add({ name: "a", conf: garpConf(150) });
      sim.runUntil(4_500);
      const T = a.transitionsOf("VI_1", "MASTER")[0]!.t + 2_300; // between two adverts
      sim.runUntil(T);
      expect(sim.now).toBe(T);
      sim.reload(a, gained ? garpConf(150, ["192.168.1.1/32", "192.168.1.101/32"]) : garpConf(160));
      sim.runUntil(T + 1_000);
      expect(a.sent.filter((x) => x.vrid === 1 && x.t >= T).map((x) => x.t)[0]).toBe(T);
      expect(bursts(a, T)).toEqual([
        gained
          ? { t: T, count: 5, addresses: "192.168.1.1 192.168.1.101" }
          : { t: T, count: 1, addresses: "192.168.1.1" },
      ]);
      expect(a.transitions.filter((x) => x.t >= T)).toEqual([]);
    }
  });
});
