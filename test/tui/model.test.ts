// The pure reducer (tui/model.ts): snapshots + events + keys → view model, no Ink.
import { describe, expect, test } from "bun:test";
import { handleKey, initialModel, type Model, pageTop, reduce, selectedInstance } from "../../tui/model";
import { sample } from "./fixtures";

function connected(): Model {
  return reduce(initialModel("/s", 1000), { type: "connected", status: sample(), at: 1000 });
}

describe("model", () => {
  test("advert rates come from successive polls", () => {
    let m = connected();
    const st = sample();
    st.instances[0]!.advertsSent += 20; // 20 adverts in 2 s
    m = reduce(m, { type: "status", status: st, at: 3000 });
    expect(m.rates.get("vi_web")!.hist).toEqual([10]);
    const st2 = structuredClone(st);
    st2.instances[0]!.advertsSent += 5;
    m = reduce(m, { type: "status", status: st2, at: 4000 });
    expect(m.rates.get("vi_web")!.hist).toEqual([10, 5]);
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
});
