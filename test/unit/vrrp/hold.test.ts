// An operator's holds on one instance (keel switchover / keel maintenance, cause.ts Hold):
// a master resigns with priority 0, a switchover hold stops preemption but not a takeover
// from a silent master, a maintenance hold stops MASTER altogether; explain says why.
import { describe, expect, test } from "bun:test";
import { explain } from "../../../src/vrrp/explain";
import type { Instance } from "../../../src/vrrp/instance";
import type { Action } from "../../../src/vrrp/types";
import { advert, instance } from "./one-instance";

const kinds = (a: readonly Action[]) =>
  a.map((x) =>
    x.type === "transition"
      ? `${x.from}->${x.to}:${x.reason}`
      : x.type === "send-advert"
        ? `advert:${x.advert.priority}`
        : x.type,
  );

const by = { by: "root (uid 0, pid 42)", reason: "kernel upgrade" };

/** VI_1 at priority 150 started and master (no advert heard) */
function master(): Instance {
  const i = instance("priority 150");
  i.start(0);
  i.handleTimeout(i.pollTimeout() ?? 0);
  expect(i.state).toBe("MASTER");
  i.pollActions();
  return i;
}

const clock = { now: 0, wallOf: (t: number) => t, timeOf: (t: number) => `t${t}` };

describe("switchover hold", () => {
  test("a master resigns at once: priority-0 advert before the VIPs go, then BACKUP with the full down timer", () => {
    const i = master();
    const now = 10_000;
    i.setHold({ kind: "switchover", ...by }, true, now);
    const out = i.pollActions();
    expect(kinds(out)).toEqual(["advert:0", "del-vips", "MASTER->BACKUP:hold", "notify"]);
    const t = out.find((a) => a.type === "transition");
    expect(t?.type === "transition" && t.cause).toMatchObject({ reason: "hold", hold: { kind: "switchover" } });
    expect(i.pollTimeout()).toBe(now + i.downTimer());
    expect(i.stats.pri_zero_sent).toBe(1); // keepalived's counter of priority-0 adverts sent
  });

  test("a lower-priority new master is not preempted while held, and is once released", () => {
    const i = master();
    i.setHold({ kind: "switchover" }, true, 10_000);
    let t = 10_000;
    // the new master (priority 100 < our 150) advertises every second for a minute
    for (; t < 70_000; t += 1000) {
      i.handleAdvert(advert({ priority: 100 }), t);
      i.handleTimeout(t);
      expect(i.state).toBe("BACKUP");
    }
    const e = explain(i.view(), { ...clock, now: t });
    expect(e.sentence).toContain("switchover: I do not preempt the master I handed over to");
    expect(e.wouldChange).toContain("keel switchover --release lets me preempt again (when my priority is higher)");
    i.setHold({ kind: "switchover" }, false, t);
    i.pollActions();
    // released: the lower adverts no longer reset the timer, which runs out (preemption)
    for (; i.state === "BACKUP" && t < 80_000; t += 1000) {
      i.handleAdvert(advert({ priority: 100 }), t);
      i.handleTimeout(t);
    }
    expect(kinds(i.pollActions())).toContain("BACKUP->MASTER:preempt");
  });

  test("if the master it handed over to goes silent, it still takes over (a hold is no outage)", () => {
    const i = master();
    i.setHold({ kind: "switchover" }, true, 10_000);
    i.handleAdvert(advert({ priority: 100 }), 11_000);
    i.pollActions();
    const down = i.pollTimeout() ?? 0;
    expect(down).toBe(11_000 + i.downTimer());
    i.handleTimeout(down);
    expect(kinds(i.pollActions())).toContain("BACKUP->MASTER:master-down-timer");
  });
});

describe("maintenance hold", () => {
  test("stays BACKUP with no master at all; the down timer re-arms so it keeps following the segment", () => {
    const i = instance("priority 150");
    i.setHold({ kind: "maintenance", ...by }, true, 0);
    i.start(0);
    let t = 0;
    for (let n = 0; n < 5; n++) {
      t = i.pollTimeout() ?? 0;
      i.handleTimeout(t);
      expect(i.state).toBe("BACKUP");
    }
    expect(i.pollTimeout()).toBe(t + i.downTimer());
    const e = explain(i.view(), clock);
    expect(e.sentence).toContain(
      'maintenance is on, so I stay BACKUP even with no master by root (uid 0, pid 42) ("kernel upgrade")',
    );
    expect(e.wouldChange).toContain("keel maintenance off lets me become MASTER again");
    i.setHold({ kind: "maintenance" }, false, t);
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("MASTER");
  });

  test("an address owner's immediate start is held too, reported as a hold", () => {
    const i = instance("state MASTER\npriority 255");
    i.setHold({ kind: "maintenance" }, true, 0);
    i.start(0);
    i.handleTimeout(0);
    expect(kinds(i.pollActions())).toEqual(["INIT->BACKUP:hold", "notify"]);
  });

  test("a master resigns with priority 0; a higher-priority advert never moves a held backup", () => {
    const i = master();
    i.setHold({ kind: "maintenance" }, true, 5000);
    expect(kinds(i.pollActions())).toEqual(["advert:0", "del-vips", "MASTER->BACKUP:hold", "notify"]);
    // the lower-priority master resigns: Skew_Time would make us master; the hold refuses
    i.handleAdvert(advert({ priority: 0 }), 6000);
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("BACKUP");
  });
});

describe("standby hold (the backups not chosen by keel switchover --to)", () => {
  test("keeps a backup out of the election a resigning master starts; a switchover hold then replaces it", () => {
    const i = instance("priority 150");
    i.start(0);
    i.handleAdvert(advert({ priority: 200 }), 100);
    i.setHold({ kind: "standby" }, true, 200);
    // the master resigns: Skew_Time would make us master; standby refuses
    i.handleAdvert(advert({ priority: 0 }), 300);
    i.handleTimeout(i.pollTimeout() ?? 0);
    expect(i.state).toBe("BACKUP");
    expect(explain(i.view(), clock).sentence).toContain("standby for a switchover to another node");
    // the chosen node (priority 50) is master: standby becomes a switchover hold, no preemption
    i.setHold({ kind: "switchover" }, true, 1000);
    i.setHold({ kind: "standby" }, false, 1000);
    for (let t = 1000; t < 20_000; t += 1000) {
      i.handleAdvert(advert({ from: "10.0.0.8", priority: 50 }), t);
      i.handleTimeout(t);
    }
    expect(i.state).toBe("BACKUP");
    expect(i.holds().map((h) => h.kind)).toEqual(["switchover"]);
  });
});
