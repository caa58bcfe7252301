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
});
