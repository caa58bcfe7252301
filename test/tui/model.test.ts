// The pure reducer (tui/model.ts): snapshots + events + keys → view model, no Ink.
import "./force-color";
import { describe, expect, test } from "bun:test";
import type { Event } from "../../src/control/protocol";
import { changesOnly, knownFrom } from "../../tui/changes";
import { stateStrip } from "../../tui/format";
import {
  checkerId,
  handleKey,
  initialModel,
  isStale,
  type Model,
  pageTop,
  RATE_HISTORY,
  rateHist,
  reduce,
  selectedInstance,
} from "../../tui/model";
import { bfdSession, sample } from "./fixtures";

function connected(): Model {
  return reduce(initialModel("/s", 1000), { type: "connected", status: sample(), at: 1000 });
}

describe("model", () => {
  test("advert rates come from successive polls", () => {
    let m = connected();
    const st = sample();
    st.instances[0]!.advertsSent += 20; // 20 adverts in 2 s
    m = reduce(m, { type: "status", status: st, at: 3000 });
    expect(rateHist(m.rates, "vi_web")).toEqual([10]);
    const st2 = structuredClone(st);
    st2.instances[0]!.advertsSent += 5;
    m = reduce(m, { type: "status", status: st2, at: 4000 });
    expect(rateHist(m.rates, "vi_web")).toEqual([10, 5]);
  });

  test("advert rates: an instance a poll leaves out keeps its history, a new one starts its own, RATE_HISTORY polls kept, an old model unchanged", () => {
    let m = connected();
    const poll = (at: number, rows: [string, number][]) => {
      m = reduce(m, {
        type: "counters",
        at,
        counters: { at, instances: rows.map(([n, tx]) => [n, 0, tx, 0, null]) },
      });
    };
    // the snapshot at 1000 ms recorded other counters: a poll at the same time takes these, no sample
    poll(1000, [["vi_web", 0]]);
    poll(2000, [["vi_web", 4]]);
    const before = m;
    poll(4000, [["vi_new", 7]]);
    expect(rateHist(m.rates, "vi_web")).toEqual([4]);
    expect(rateHist(m.rates, "vi_new")).toEqual([]);
    expect(rateHist(before.rates, "vi_new")).toEqual([]);
    // vi_web's next sample spans the poll that left it out: 6 adverts in 3 s
    poll(5000, [
      ["vi_web", 10],
      ["vi_new", 9],
    ]);
    expect(rateHist(m.rates, "vi_web")).toEqual([4, 2]);
    expect(rateHist(m.rates, "vi_new")).toEqual([2]);
    expect(rateHist(before.rates, "vi_web")).toEqual([4]);
    // a counter that went back (the daemon restarted) is no negative rate
    poll(6000, [["vi_web", 1]]);
    expect(rateHist(m.rates, "vi_web")).toEqual([4, 2, 0]);
    for (let k = 1; k <= RATE_HISTORY; k++) poll(6000 + k * 1000, [["vi_web", 1 + k]]);
    expect(rateHist(m.rates, "vi_web")).toEqual(Array(RATE_HISTORY).fill(1));
  });

  test("events update state, priority, errors, trackers, real servers and quorum; the log and timeline grow", () => {
    let m = connected();
    const before = m.status!;
    m = reduce(m, {
      type: "events",
      at: 2000,
      events: [
        {
          event: "transition",
          at: 1500,
          instance: "vi_db",
          from: "BACKUP",
          to: "MASTER",
          reason: "higher-priority-advert",
        },
        { event: "priority", at: 1500, instance: "vi_web", from: 100, to: 50 },
        { event: "rx-error", at: 1500, instance: "vi_web", from: "10.0.0.9", code: "bad-ttl" },
        { event: "track", at: 1500, kind: "script", name: "chk_pg", ok: true, code: 0, ms: 7 },
        { event: "real-server", at: 1500, virtualServer: "10.0.0.100:80/TCP", realServer: "10.0.0.11:80", up: false },
        { event: "quorum", at: 1500, virtualServer: "10.0.0.100:80/TCP", up: false, aliveWeight: 0 },
      ],
    });
    const i = (n: string) => m.status!.instances.find((x) => x.name === n)!;
    expect(i("vi_db").state).toBe("MASTER");
    expect(i("vi_db").lastTransition).toEqual({
      at: 1500,
      from: "BACKUP",
      to: "MASTER",
      reason: "higher-priority-advert",
    });
    expect(i("vi_web").effectivePriority).toBe(50);
    expect(i("vi_web").errors).toBe(1);
    expect(m.status!.trackers![0]).toMatchObject({ ok: true, value: 0, ms: 7, at: 1500 });
    const vs = m.status!.virtualServers![0]!;
    expect(vs.realServers[0]).toMatchObject({ up: false, liveWeight: undefined });
    expect(vs).toMatchObject({ quorumUp: false, aliveWeight: 0 });
    expect(m.events.map((e) => e.kind)).toEqual([
      "transition",
      "priority",
      "rx-error",
      "track",
      "real-server",
      "quorum",
    ]);
    expect(m.timeline.at(-1)).toMatchObject({ instance: "vi_db", to: "MASTER" });
    // pure: the previous snapshot is untouched
    expect(before.instances.find((x) => x.name === "vi_db")!.state).toBe("BACKUP");
  });

  test("the event log is capped", () => {
    let m = connected();
    for (let n = 0; n < 12; n++)
      m = reduce(m, {
        type: "events",
        at: n,
        events: Array.from({ length: 100 }, () => ({ event: "rx-error" as const, at: n, from: "x", code: "bad-ttl" })),
      });
    expect(m.events.length).toBe(1000);
    expect(m.events.at(-1)!.seq).toBe(1200);
  });

  test("keys: move, filter, detail, reload confirmation, garp, quit", () => {
    let m = connected();
    const k = (input: string, extra = {}) => {
      const r = handleKey(m, { input, ...extra }, 10);
      m = r.model;
      return r.effect;
    };
    k("j");
    expect(selectedInstance(m)!.name).toBe("vi_db");
    k("j");
    k("j"); // clamps at the last row
    expect(selectedInstance(m)!.name).toBe("vi_mail");
    expect(k("g")).toEqual({ kind: "garp", instance: "vi_mail" });
    expect(k("r")).toBeUndefined();
    expect(m.mode).toBe("confirm-reload");
    expect(k("y")).toEqual({ kind: "reload" });
    k("/");
    k("w");
    k("e");
    k("", { return: true });
    expect(m.filter).toBe("we");
    expect(selectedInstance(m)!.name).toBe("vi_web");
    k("", { return: true });
    expect(m.mode).toBe("detail");
    expect(m.detail).toBe("vi_web");
    k("", { escape: true });
    expect(m.mode).toBe("normal");
    k("", { tab: true });
    expect(m.view).toBe("timeline");
    k("", { tab: true, shift: true });
    expect(m.view).toBe("instances");
    expect(k("q")).toEqual({ kind: "quit" });
  });

  test("pageTop keeps the cursor on screen", () => {
    expect(pageTop(0, 100, 10)).toBe(0);
    expect(pageTop(9, 100, 10)).toBe(0);
    expect(pageTop(10, 100, 10)).toBe(10);
    expect(pageTop(99, 100, 10)).toBe(90);
    expect(pageTop(5, 3, 10)).toBe(0);
  });

  test("the log keeps changes: a healthy real server checked every second adds nothing after its first result", () => {
    let m = connected();
    const vs = "10.0.0.100:80/TCP";
    const check = (at: number, up: boolean, ms: number): Event => ({
      event: "checker",
      at,
      virtualServer: vs,
      realServer: "10.0.0.11:80",
      type: "HTTP_GET",
      up,
      line: up ? "ok" : "connection refused",
      ms,
    });
    // 60 passing checks (the snapshot already has it up): no log line, but 60 latency samples
    const t0 = Date.now(); // after the sample's last check
    for (let n = 0; n < 60; n++) m = reduce(m, { type: "events", at: t0 + n, events: [check(t0 + n, true, n)] });
    expect(m.events).toEqual([]);
    const lat = m.latency.get(checkerId(vs, "10.0.0.11:80", "HTTP_GET"))!.hist;
    expect(lat).toHaveLength(60);
    expect(lat.at(-1)).toBe(59);
    // down, down again, up: two lines
    m = reduce(m, {
      type: "events",
      at: t0 + 100,
      events: [check(t0 + 100, false, 1), check(t0 + 101, false, 1), check(t0 + 102, true, 1)],
    });
    expect(m.events.map((e) => e.text)).toEqual([
      `${vs} 10.0.0.11:80 HTTP_GET DOWN: connection refused`,
      `${vs} 10.0.0.11:80 HTTP_GET up: ok`,
    ]);
    // the checker's state in the status follows every event, logged or not
    expect(m.status!.virtualServers![0]!.realServers[0]!.checkers[0]!.up).toBe(true);
  });

  test("trackers: a script's result logged when ok changes, a file's when its value changes", () => {
    const known = knownFrom(connected().status);
    const s = (ok: boolean, code: number): Event => ({
      event: "track",
      at: 1,
      kind: "script",
      name: "chk_pg",
      ok,
      code,
    });
    const f = (value: number): Event => ({ event: "track", at: 1, kind: "file", name: "/run/weight", value });
    const r = changesOnly([s(false, 2), s(false, 3), s(true, 0), s(true, 0), f(5), f(6), f(6)], known);
    expect(r.changes).toEqual([s(true, 0), f(6)]);
    // transitions and the other kinds always count
    const t: Event = { event: "transition", at: 1, instance: "x", from: "BACKUP", to: "MASTER", reason: "r" };
    expect(changesOnly([t, t], r.known).changes).toEqual([t, t]);
  });

  test("a latency sample from a polled status counts once when its event came too", () => {
    let m = connected();
    const vs = "10.0.0.100:80/TCP";
    const id = checkerId(vs, "10.0.0.11:80", "HTTP_GET");
    const before = m.latency.get(id)?.hist.length ?? 0;
    const t0 = Date.now() + 1000; // after the sample's last check
    m = reduce(m, {
      type: "events",
      at: t0,
      events: [
        {
          event: "checker",
          at: t0,
          virtualServer: vs,
          realServer: "10.0.0.11:80",
          type: "HTTP_GET",
          up: true,
          line: "ok",
          ms: 30,
        },
      ],
    });
    const st = structuredClone(m.status!);
    st.virtualServers![0]!.realServers[0]!.checkers[0]!.lastCheck = t0 - 2; // the same attempt, stamped just before
    st.virtualServers![0]!.realServers[0]!.checkers[0]!.latencyMs = 30;
    m = reduce(m, { type: "status", status: st, at: t0 + 100 });
    expect(m.latency.get(id)!.hist).toHaveLength(before + 1);
    st.virtualServers![0]!.realServers[0]!.checkers[0]!.lastCheck = t0 + 1000; // a newer one, no event (an older daemon)
    st.virtualServers![0]!.realServers[0]!.checkers[0]!.latencyMs = 44;
    m = reduce(m, { type: "status", status: structuredClone(st), at: t0 + 1100 });
    expect(m.latency.get(id)!.hist.slice(-2)).toEqual([30, 44]);
  });

  test("stale: after a disconnection the last status is kept and marked not live until the next one", () => {
    let m = connected();
    expect(isStale(m)).toBe(false);
    m = reduce(m, { type: "disconnected", error: "gone", at: 5000 });
    expect(isStale(m)).toBe(true);
    expect(m.seenAt).toBe(1000);
    m = reduce(m, { type: "connecting", at: 6000 });
    expect(isStale(m)).toBe(true);
    m = reduce(m, { type: "connected", status: m.status!, at: 7000 });
    expect(isStale(m)).toBe(false);
  });

  test("state strip: one letter per cell, from the transitions, unknown before watching began", () => {
    const tr = [
      { at: 10_000, from: "BACKUP", to: "MASTER" },
      { at: 20_000, from: "MASTER", to: "FAULT" },
    ];
    // cells end at 0, 5, 10, 15, 20, 25 s
    expect(stateStrip(tr, "FAULT", 25_000, 6, 5000)).toBe("BBMMFF");
    expect(stateStrip(tr, "FAULT", 25_000, 6, 5000, 3000)).toBe(".BMMFF");
    expect(stateStrip([], "BACKUP", 25_000, 4, 5000)).toBe("BBBB");
  });
});

describe("the delta stream (issue 20)", () => {
  test("counters move the advert counters, errors and master; an unchanged row keeps its identity", () => {
    let m = connected();
    const before = m.status!.instances;
    m = reduce(m, {
      type: "counters",
      at: 3000,
      counters: {
        at: 3000,
        instances: [
          ["vi_web", 0, 1220, 0, "10.0.0.2"],
          ["vi_db", 800, 0, 0, "10.0.1.3"],
          ["vi_mail", 0, 0, 4, null],
          ["vi_gone", 5, 5, 5, null],
        ],
      },
    });
    const after = m.status!.instances;
    expect(after[0]!.advertsSent).toBe(1220);
    expect(after[1]).toBe(before[1]!);
    expect(after[2]).toMatchObject({ errors: 4, master: undefined });
    expect(before[0]!.advertsSent).toBe(1200);
    // a rate sample per counters poll (20 adverts in 2 s); a resync status adds none
    expect(rateHist(m.rates, "vi_web")).toEqual([10]);
    const st = structuredClone(m.status!);
    st.instances[0]!.advertsSent = 1300;
    m = reduce(m, { type: "status", status: st, at: 3500, resync: true });
    expect(rateHist(m.rates, "vi_web")).toEqual([10]);
    m = reduce(m, {
      type: "counters",
      at: 4000,
      counters: { at: 4000, instances: [["vi_web", 0, 1225, 0, "10.0.0.2"]] },
    });
    expect(rateHist(m.rates, "vi_web")).toEqual([10, 5]);
  });

  test("a transition carries the faults; a tracker's result reaches the instances it moves; BFD state changes", () => {
    let m = connected();
    const st = structuredClone(m.status!);
    st.bfd = [bfdSession("bfd_a", "Up")];
    m = reduce(m, { type: "status", status: st, at: 1500 });
    const snapshot = m.status!;
    m = reduce(m, {
      type: "events",
      at: 2000,
      events: [
        {
          event: "transition",
          at: 1900,
          instance: "vi_web",
          from: "MASTER",
          to: "FAULT",
          reason: "track-fault",
          faults: ["script chk_x"],
        },
        { event: "track", at: 1900, kind: "script", name: "chk_pg", ok: true, code: 0 },
        {
          event: "bfd",
          at: 1950,
          name: "bfd_a",
          from: "Up",
          to: "Down",
          diag: "control-detection-time-expired",
          remoteDiag: "none",
        },
      ],
    });
    const i = (n: string) => m.status!.instances.find((x) => x.name === n)!;
    expect(i("vi_web").faults).toEqual(["script chk_x"]);
    expect(i("vi_db").trackers).toEqual([{ kind: "script", name: "chk_pg", weight: -10, ok: true }]);
    expect(m.status!.bfd![0]).toMatchObject({ state: "Down", since: 1950, transitions: 4 });
    // the snapshot itself is never written
    expect(snapshot.instances[1]!.trackers![0]!.ok).toBe(false);
    expect(snapshot.bfd![0]!.state).toBe("Up");
  });
});
