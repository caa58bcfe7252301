// Each scenario event kind, enacted on two hosts in virtual time: what moves, and when.
import { describe, expect, test } from "bun:test";
import { HOSTS, moves, pairConf, simulateText } from "./helpers";

// Master_Down_Interval for priority 100, advert_int 1 (v2): 3 s + Skew_Time (256-100)/256 s
const H2_DOWN = 3_609.375;
// and for priority 150: 3 s + 106/256 s
const H1_DOWN = 3_414.062;
/** h1's last advert before 6 s (it sends every second from H1_DOWN on) */
const H1_LAST = H1_DOWN + 2_000;

function run(events: string[], confs: Record<string, string> = { pair: pairConf() }, duration = 30_000) {
  return simulateText(confs, `${HOSTS}\nevents = [\n${events.map((e) => `  "${e}",`).join("\n")}\n]`, duration);
}

describe("simulate events", () => {
  test("no events: h1 wins the first election by priority", () => {
    const r = run([]);
    expect(moves(r)).toEqual([
      [0, "-"],
      [H1_DOWN, "h1"],
    ]);
    expect(r.timeline.find((e) => e.kind === "transition" && e.to === "MASTER")).toMatchObject({
      host: "h1",
      reason: "master-down-timer",
    });
  });

  test("script: the result reaches the engine at the script's interval, and fall counts runs", () => {
    const top = [
      "vrrp_script chk {",
      '  script "/bin/false"',
      "  interval 2",
      "  fall 2",
      "  rise 1",
      "  weight -60",
      "}",
    ];
    const r = run(["5s script h1 chk fail", "20s script h1 chk ok"], {
      pair: pairConf({ top, extra: ["track_script {", "  chk", "}"] }),
    });
    // runs at 0, 2, 4, 6, 8: the failing ones at 6 and 8; fall 2 drops the priority at 8 s
    const prio = r.timeline.filter((e) => e.kind === "priority" && e.host === "h1");
    expect(prio.map((e) => [e.t, e.kind === "priority" ? e.to : 0])).toEqual([
      [8_000, 90],
      [20_000, 150],
    ]);
    // h2 (100) preempts h1 (90) on h1's next advert; h1 preempts back at 20 s
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "h1+h2", "h2", "h1+h2", "h1"]);
    expect(r.vips).toEqual(["10.0.0.100"]);
  });

  test("file: a track_file value (weight 0) puts the instance in FAULT, and a restart reads it again", () => {
    const top = ["track_file tf {", '  file "/run/tf"', "}"];
    const r = run(["6s file h1 tf 1", "10s restart h1", "20s file h1 tf 0"], {
      pair: pairConf({ top, extra: ["track_file {", "  tf weight 0", "}"] }),
    });
    const h1 = r.history.states.filter((s) => s.host === "h1").map((s): [number, string] => [s.t, s.state]);
    expect(h1).toContainEqual([6_000, "FAULT"]);
    // restarted with the file still 1: FAULT again, and nothing else until the file clears
    expect(h1.filter(([t]) => t >= 10_000 && t < 20_000)).toEqual([
      [10_000, "STOP"],
      [10_000, "down"],
      [10_000, "FAULT"],
    ]);
    expect(moves(r).at(-1)?.[1]).toBe("h1");
  });

  test("process: a tracked process going down is a FAULT; up again recovers", () => {
    const top = ["vrrp_track_process nginx {", "  process nginx", "}"];
    const r = run(["6s process h1 nginx down", "14s process h1 nginx up"], {
      pair: pairConf({ top, extra: ["track_process {", "  nginx", "}"] }),
    });
    expect(r.history.states.filter((s) => s.host === "h1" && s.t === 6_000).map((s) => s.state)).toEqual(["FAULT"]);
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "-", "h2", "h1+h2", "h1"]);
  });

  test("kill: no priority 0, so h2 waits its whole Master_Down_Interval; the killed host is down", () => {
    const r = run(["6s kill h1"]);
    expect(moves(r)).toEqual([
      [0, "-"],
      [H1_DOWN, "h1"],
      [6_000, "-"],
      // h2's timer runs from the last advert it heard
      [H1_LAST + H2_DOWN, "h2"],
    ]);
    expect(r.history.states.filter((s) => s.host === "h1").at(-1)).toEqual({
      t: 6_000,
      host: "h1",
      instance: "VI_1",
      state: "down",
    });
  });

  test("stop (SIGTERM): priority 0, so h2 takes over after Skew_Time only", () => {
    const r = run(["6s stop h1"]);
    expect(moves(r).slice(2)).toEqual([
      [6_000, "-"],
      [6_000 + 609.375, "h2"],
    ]);
  });

  test("restart: a fresh router that preempts back", () => {
    const r = run(["6s kill h1", "15s restart h1"]);
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "-", "h2", "h1+h2", "h1"]);
    expect(r.timeline.filter((e) => e.kind === "event").map((e) => [e.t, e.kind === "event" ? e.text : ""])).toEqual([
      [6_000, "kill h1"],
      [15_000, "restart h1"],
    ]);
  });

  test("reload with another file: h1's lower priority lets h2 preempt", () => {
    const r = run(["6s reload h1 low"], { pair: pairConf(), low: pairConf({ h1: 50 }) });
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "h1+h2", "h2"]);
    // the instance is taken over running, with its new priority: the timeline says so
    expect(r.timeline.filter((e) => e.kind === "priority")).toEqual([
      { t: 6_000, kind: "priority", host: "h1", instance: "VI_1", from: 150, to: 50 },
    ]);
    expect(moves(r)[2]?.[0]).toBeGreaterThan(6_000);
  });

  test("priority: the same as a reload with that priority", () => {
    const r = run(["6s priority h1 VI_1 50"]);
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "h1+h2", "h2"]);
  });

  test("link-down / link-up: FAULT while the link is down, nothing in or out", () => {
    const r = run(["6s link-down h1", "14s link-up h1"]);
    expect(r.history.states.filter((s) => s.host === "h1" && s.t === 6_000).map((s) => s.state)).toEqual(["FAULT"]);
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "-", "h2", "h1+h2", "h1"]);
  });

  test("partition / heal: two masters while split, one after", () => {
    const r = run(["6s partition h1 | h2", "14s heal"]);
    expect(moves(r)).toEqual([
      [0, "-"],
      [H1_DOWN, "h1"],
      [H1_LAST + H2_DOWN, "h1+h2"],
      // h2's first advert after the heal reaches h1, whose higher-priority answer ends it
      [14_023.437, "h1"],
    ]);
  });

  test("an event whose host is not running says so in the timeline and changes nothing", () => {
    const r = run(["6s kill h1", "7s stop h1", "8s priority h1 VI_1 50", "9s reload h1 pair"], { pair: pairConf() });
    expect(r.timeline.filter((e) => e.kind === "event").map((e) => (e.kind === "event" ? e.text : ""))).toEqual([
      "kill h1",
      "stop h1 (h1 is not running: no effect)",
      "priority h1 VI_1 50 (h1 is not running: no effect)",
      "reload h1 pair (h1 is not running: no effect)",
    ]);
    expect(moves(r).map(([, h]) => h)).toEqual(["-", "h1", "-", "h2"]);
  });
});
