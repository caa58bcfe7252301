// Causes as data and the words explain.ts renders from them: each case runs a real
// router (config, trackers, adverts as bytes) and reads the transition's cause and the
// instance's explanation.
import { describe, expect, test } from "bun:test";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import type { Cause } from "../../../src/vrrp/cause";
import { describeCause, explain, secs } from "../../../src/vrrp/explain";
import { VrrpRouter } from "../../../src/vrrp/router";
import { advertPackets } from "../../../src/vrrp/transmit";
import type { Action } from "../../../src/vrrp/types";

/** 10:04:12 UTC is engine time 0 */
const BASE = Date.UTC(2026, 11, 5, 10, 4, 12);
const clock = (now: number) => ({
  now,
  wallOf: (mono: number) => BASE + mono,
  timeOf: (ms: number) => new Date(ms).toISOString().slice(11, 19),
});

function router(text: string): VrrpRouter {
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": `global_defs {\nvrrp_version 3\n}\n${text}` }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  return new VrrpRouter(r.config, { interfaceAddress: () => "10.0.0.5" });
}

function instanceText(name: string, ifname: string, vrid: number, body: string): string {
  return `vrrp_instance ${name} {\ninterface ${ifname}\nvirtual_router_id ${vrid}\nvirtual_ipaddress {\n192.0.2.${vrid}/24\n}\n${body}\n}\n`;
}

/** An advert from `from` with `priority`, as bytes on eth0. */
function hear(r: VrrpRouter, priority: number, now: number, from = "10.0.0.12", vrid = 7): void {
  const [pkt] = advertPackets(
    {
      instance: "peer",
      family: 4,
      version: 3,
      vrid,
      priority,
      advertIntCs: 100,
      addresses: [`192.0.2.${vrid}`],
      destinations: ["224.0.0.18"],
      unicast: false,
      ipId: 1,
      seq: 0,
    },
    from,
  );
  r.handleAdvert({ ifname: "eth0", family: 4, data: (pkt as { data: Uint8Array }).data }, now);
}

function transitions(r: VrrpRouter): Extract<Action, { type: "transition" }>[] {
  return r.pollActions().filter((a): a is Extract<Action, { type: "transition" }> => a.type === "transition");
}

function runUntil(r: VrrpRouter, end: number): void {
  for (let t = r.pollTimeout(); t !== undefined && t <= end; t = r.pollTimeout()) r.handleTimeout(t);
}

function view(r: VrrpRouter, name = "VI_1") {
  const inst = r.instances.get(name);
  if (!inst) throw new Error(name);
  return inst.view();
}

describe("explain: the standing state in words", () => {
  test("nopreempt with weights: the failing check lowers my priority and nothing moves", () => {
    const r = router(
      `vrrp_script chk_nginx {\nscript "/bin/true"\nweight -2\n}\n${instanceText("VI_1", "eth0", 7, "state BACKUP\npriority 100\nnopreempt\ntrack_script {\nchk_nginx\n}")}`,
    );
    r.start(0);
    r.handleTrack({ kind: "script", name: "chk_nginx", ok: false }, 100);
    hear(r, 150, 1000);
    const e = explain(view(r), clock(2000));
    expect(e.sentence).toBe(
      "BACKUP since 10:04:12: 10.0.0.12 advertises priority 150 > mine 98 (base 100, chk_nginx failed \u22122); nopreempt is set, so I will not take over while it advertises; I become MASTER if its adverts stop for 3.61 s",
    );
    expect(e.since).toBe(BASE);
    expect(e.wouldChange).toContain("10.0.0.12's adverts stopping for 3.61 s makes me MASTER");
    expect(e.wouldChange).toContain("script chk_nginx recovering makes my priority 100");
    expect(e.decisions.map((d) => `${d.from}->${d.to}:${d.reason}`)).toEqual(["INIT->BACKUP:init"]);
  });

  test("preempt_delay: the lower master is kept until the delay is over, then preempted", () => {
    const r = router(instanceText("VI_1", "eth0", 7, "priority 100\npreempt_delay 5"));
    r.start(0);
    r.pollActions();
    for (let t = 1000; t <= 7000; t += 1000) {
      runUntil(r, t);
      hear(r, 90, t);
      if (t === 2000)
        expect(explain(view(r), clock(t)).sentence).toBe(
          "BACKUP since 10:04:12: 10.0.0.12 advertises priority 90 < mine 100; preempt_delay 5 s runs until 10:04:18, then I take over; I become MASTER if its adverts stop for 3.6 s",
        );
    }
    expect(transitions(r)).toEqual([]);
    runUntil(r, 20_000);
    const [t] = transitions(r);
    expect(t?.reason).toBe("preempt");
    const c = t?.cause as Cause;
    expect(c).toMatchObject({
      reason: "preempt",
      sender: { address: "10.0.0.12", priority: 90 },
      priority: { base: 100, effective: 100 },
      preempt: { nopreempt: false, delayMs: 5000 },
      rule: "RFC 5798 6.4.2 (Preempt_Mode: a lower-priority advert is discarded)",
    });
    expect(describeCause(c)).toBe(
      "10.0.0.12 advertised priority 90 < mine 100; preemption is on and preempt_delay 5 s has passed, so I took over",
    );
    expect(explain(view(r), clock(20_000)).sentence).toMatch(
      /^MASTER since 10:04:2\d: 10\.0\.0\.12 advertised .* so I took over; I advertise priority 100 every 1 s$/,
    );
  });

  test("a priority-0 handover: the master resigns and I take over after Skew_Time", () => {
    const r = router(instanceText("VI_1", "eth0", 7, "priority 100"));
    r.start(0);
    hear(r, 150, 1000);
    hear(r, 0, 2000);
    r.pollActions();
    runUntil(r, 5000);
    const [t] = transitions(r);
    expect(t).toMatchObject({ from: "BACKUP", to: "MASTER", reason: "priority-zero-received" });
    const c = t?.cause as Cause;
    expect(c).toMatchObject({ sender: { address: "10.0.0.12", priority: 0 }, timers: { skewMs: 609.375 } });
    expect(describeCause(c)).toBe("10.0.0.12 resigned (priority 0 advert), so I took over after Skew_Time 0.6 s");
  });

  test("a fault by a named script: MASTER → FAULT, the script named in the cause and the sentence", () => {
    const r = router(
      `vrrp_script chk_db {\nscript "/bin/true"\n}\n${instanceText("VI_1", "eth0", 7, "priority 100\ntrack_script {\nchk_db\n}")}`,
    );
    r.handleTrack({ kind: "script", name: "chk_db", ok: true }, 0);
    r.start(0);
    runUntil(r, 4000);
    expect(view(r).state).toBe("MASTER");
    r.pollActions();
    r.handleTrack({ kind: "script", name: "chk_db", ok: false }, 5000);
    const [t] = transitions(r);
    expect(t).toMatchObject({ from: "MASTER", to: "FAULT", reason: "track-fault" });
    expect(t?.cause).toMatchObject({ fault: { kind: "script", name: "chk_db" } });
    expect(describeCause(t?.cause as Cause)).toBe("script chk_db failed");
    const e = explain(view(r), clock(6000));
    expect(e.sentence).toBe("FAULT since 10:04:17: script chk_db failed");
    expect(e.wouldChange).toEqual(["every fault clearing makes me BACKUP, then MASTER if no advert comes for 3.6 s"]);
    expect(e.decisions.map((d) => d.words)).toEqual([
      "started as BACKUP; waiting Master_Down_Interval 3.6 s for a master's advert",
      "no master heard for Master_Down_Interval 3.6 s; mine 100",
      "script chk_db failed",
    ]);
  });

  test("an interface down and up: typed faults, not string prefixes", () => {
    const r = router(instanceText("VI_1", "eth0", 7, "priority 100"));
    r.start(0);
    r.pollActions();
    r.handleTrack({ kind: "interface", name: "eth0", up: false }, 1000);
    const [down] = transitions(r);
    expect(down).toMatchObject({ from: "BACKUP", to: "FAULT", reason: "interface-down" });
    expect(down?.cause).toMatchObject({
      fault: { kind: "interface", name: "eth0" },
      faults: [{ kind: "interface", name: "eth0" }],
    });
    expect(describeCause(down?.cause as Cause)).toBe("interface eth0 is down");
    expect(view(r).faults).toEqual([{ kind: "interface", name: "eth0" }]);
    r.handleTrack({ kind: "interface", name: "eth0", up: true }, 2000);
    const [up] = transitions(r);
    expect(up).toMatchObject({ from: "FAULT", to: "BACKUP", reason: "interface-up" });
    expect(describeCause(up?.cause as Cause)).toBe("interface eth0 came up; no fault left");
  });

  test("a sync group pulls its other member along, and says which member moved", () => {
    const r = router(
      `vrrp_script chk {\nscript "/bin/true"\n}\n` +
        instanceText("VI_1", "eth0", 7, "priority 100") +
        instanceText("VI_2", "eth1", 8, "priority 100\ntrack_script {\nchk\n}") +
        "vrrp_sync_group G {\ngroup {\nVI_1\nVI_2\n}\n}\n",
    );
    r.handleTrack({ kind: "script", name: "chk", ok: true }, 0);
    r.start(0);
    r.pollActions();
    r.handleTrack({ kind: "script", name: "chk", ok: false }, 1000);
    const moved = transitions(r);
    const pulled = moved.find((t) => t.instance === "VI_1");
    expect(pulled).toMatchObject({ from: "BACKUP", to: "FAULT", reason: "sync-group" });
    expect(pulled?.cause).toMatchObject({ group: "G", member: "VI_2", memberState: "FAULT" });
    expect(describeCause(pulled?.cause as Cause)).toBe("sync group G follows its member VI_2, which went FAULT");
    const e = explain(view(r), clock(2000));
    expect(e.sentence).toBe("FAULT since 10:04:13: another member of sync group G is faulted");
    expect(view(r).faults).toEqual([{ kind: "sync-group", name: "G" }]);
    expect(e.decisions.at(-1)?.words).toBe("sync group G follows its member VI_2, which went FAULT");
    expect(e.wouldChange).toContain("sync group G: its members move together");
  });

  test("a higher advert takes MASTER away; the log words come from the cause", () => {
    const r = router(instanceText("VI_1", "eth0", 7, "priority 100"));
    r.start(0);
    runUntil(r, 4000);
    r.pollActions();
    hear(r, 100, 4500, "10.0.0.2"); // equal priority, lower address: I stay
    hear(r, 100, 4600, "10.0.0.12"); // equal priority, higher address: I yield
    const [t] = transitions(r);
    expect(t).toMatchObject({ reason: "equal-priority-higher-ip", cause: { source: "10.0.0.5" } });
    expect(describeCause(t?.cause as Cause)).toBe(
      "10.0.0.12 advertises priority 100 = mine 100, and its address is higher than mine (10.0.0.5)",
    );
    // as a backup, an equal priority is enough (RFC 5798 6.4.2), whichever address is higher
    hear(r, 100, 5000, "10.0.0.2");
    expect(explain(view(r), clock(5000)).sentence).toBe(
      "BACKUP since 10:04:16: 10.0.0.2 advertises priority 100 = mine 100, and an equal priority keeps me BACKUP; I become MASTER if its adverts stop for 3.6 s",
    );
  });
});

describe("decisions", () => {
  test("an instance keeps its last 32 decisions, oldest first", () => {
    const r = router(instanceText("VI_1", "eth0", 7, "priority 100"));
    r.start(0);
    for (let i = 1; i <= 20; i++) {
      r.handleTrack({ kind: "interface", name: "eth0", up: false }, i * 100);
      r.handleTrack({ kind: "interface", name: "eth0", up: true }, i * 100 + 50);
    }
    const d = view(r).decisions;
    expect(d.length).toBe(32);
    expect(d[0]?.at).toBe(500);
    expect(d[31]?.at).toBe(2050);
  });

  test("seconds are shown as the protocol counts them: centiseconds, truncated", () => {
    expect(secs(3617.1875)).toBe("3.61 s");
    expect(secs(1000)).toBe("1 s");
    expect(secs(609.375)).toBe("0.6 s");
  });
});
