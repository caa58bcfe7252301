// The fleet screen's pure reducer (tui/fleet/model.ts): views + events + keys → rows, cells, timeline.
import { describe, expect, test } from "bun:test";
import type { Event } from "../../src/control/protocol";
import type { NodeView } from "../../src/fleet/flags";
import { cellText } from "../../tui/fleet/app";
import {
  type FleetModel,
  fleetRows,
  handleFleetKey,
  initialFleet,
  reduceFleet,
  timelineNewestFirst,
} from "../../tui/fleet/model";
import { baseStatus, inst } from "./harness";

const node = (name: string, state: string, prio: number, over: Partial<NodeView> = {}): NodeView => ({
  name,
  target: `exec:${name}`,
  status: baseStatus([
    inst("VI_1", state, {
      priority: prio,
      effectivePriority: prio,
      vips: ["10.99.0.100/32"],
      lastTransition: { at: 1000 + prio, from: "INIT", to: state, reason: "start" },
    }),
  ]),
  ...over,
});

function three(): FleetModel {
  const views = [node("h1", "MASTER", 150), node("h2", "BACKUP", 100), node("h3", "BACKUP", 50)];
  return reduceFleet(initialFleet([], 0), { type: "nodes", views, at: 5000 });
}

const transition = (at: number, from: string, to: string): Event => ({
  event: "transition",
  at,
  instance: "VI_1",
  from,
  to,
  reason: "master-down-timer",
});

describe("fleet model", () => {
  test("a row per VRID with every node's state and priority; the holder; no flag", () => {
    const m = three();
    const [r] = fleetRows(m);
    expect(r).toMatchObject({ key: "4/51", instances: ["VI_1"], holders: ["h1"], vips: "10.99.0.100/32" });
    expect(r!.cells.map(cellText)).toEqual(["MASTER 150", "BACKUP 100", "BACKUP 50"]);
    expect(r!.flagged).toBe(false);
    expect(m.snap.flags).toEqual([]);
  });

  test("the timeline starts with each node's last transition, in time order, and merges nodes' events by time", () => {
    let m = three();
    expect(m.timeline.map((e) => `${e.node} ${e.text}`)).toEqual([
      "h3 VI_1 INIT -> BACKUP (start)",
      "h2 VI_1 INIT -> BACKUP (start)",
      "h1 VI_1 INIT -> MASTER (start)",
    ]);
    // h2's event arrives after h1's although it happened first
    m = reduceFleet(m, { type: "events", node: "h1", events: [transition(9000, "MASTER", "BACKUP")], at: 9100 });
    m = reduceFleet(m, { type: "events", node: "h2", events: [transition(8000, "BACKUP", "MASTER")], at: 9200 });
    expect(
      timelineNewestFirst(m)
        .map((e) => `${e.node} ${e.text}`)
        .slice(0, 2),
    ).toEqual(["h1 VI_1 MASTER -> BACKUP (master-down-timer)", "h2 VI_1 BACKUP -> MASTER (master-down-timer)"]);
  });

  test("the timeline keeps changes: passing checks, repeated script results and notifications add nothing", () => {
    let m = three();
    const n = m.timeline.length;
    const ok: Event = { event: "track", at: 6000, kind: "script", name: "chk", ok: true, code: 0 };
    const check = (up: boolean): Event => ({
      event: "checker",
      at: 6000,
      virtualServer: "10.0.0.1:80/TCP",
      realServer: "10.0.0.2:80",
      type: "TCP_CHECK",
      up,
      line: up ? "ok" : "refused",
      ms: 1,
    });
    // a notify repeats the transition it ran for: not a change either
    const notify: Event = { event: "notify", at: 6000, kind: "instance", name: "VI_1", state: "MASTER", priority: 100 };
    const events = [ok, ok, ok, notify, check(true), check(true), check(true), check(false), check(false)];
    m = reduceFleet(m, { type: "events", node: "h2", events, at: 6100 });
    expect(m.timeline.slice(n).map((e) => e.text)).toEqual([
      "track script chk ok exit=0",
      "10.0.0.1:80/TCP 10.0.0.2:80 TCP_CHECK up: ok",
      "10.0.0.1:80/TCP 10.0.0.2:80 TCP_CHECK DOWN: refused",
    ]);
    // per node: h3's first result is news on its own
    m = reduceFleet(m, { type: "events", node: "h3", events: [ok, ok], at: 6200 });
    expect(m.timeline.filter((e) => e.node === "h3" && e.kind === "track")).toHaveLength(1);
  });

  test("split brain: two holders, the row flagged", () => {
    const views = [node("h1", "MASTER", 150), node("h2", "MASTER", 100), node("h3", "BACKUP", 50)];
    const m = reduceFleet(three(), { type: "nodes", views, at: 6000 });
    const [r] = fleetRows(m);
    expect(r!.holders).toEqual(["h1", "h2"]);
    expect(r!.flagged).toBe(true);
    expect(m.snap.flags.map((f) => f.flag)).toEqual(["split-brain"]);
  });

  test("a node that does not answer: its last state stays in its cell, marked stale; a router only it had stays", () => {
    const h1 = node("h1", "MASTER", 150, { error: "keel control: no daemon on /x.sock" });
    h1.status!.instances.push(inst("VI_9", "MASTER", { vrid: 9, priority: 200, effectivePriority: 190 }));
    const views = [h1, node("h2", "MASTER", 100), node("h3", "BACKUP", 50)];
    const m = reduceFleet(three(), { type: "nodes", views, at: 6000 });
    const rows = fleetRows(m);
    expect(rows.map((r) => r.key)).toEqual(["4/9", "4/51"]);
    expect(rows[0]!.cells.map(cellText)).toEqual(["was MASTER 200->190", "-", "-"]);
    expect(rows[1]!.cells.map(cellText)).toEqual(["was MASTER 150", "MASTER 100", "BACKUP 50"]);
    expect(rows[1]!.cells[0]!.stale).toBe(true);
    expect(rows[1]!.holders).toEqual(["h2"]);
    expect(m.snap.flags.map((f) => f.flag)).toEqual(["unreachable"]);
  });

  test("keys: rows, nodes (wrapping), enter opens the selected node, q quits", () => {
    let m = three();
    const k = (input: string, extra = {}) => {
      const r = handleFleetKey(m, { input, ...extra });
      m = r.model;
      return r.effect;
    };
    expect(k("", { return: true })).toEqual({ kind: "open", node: "h1" });
    k("l");
    k("l");
    expect(k("", { return: true })).toEqual({ kind: "open", node: "h3" });
    k("l");
    expect(m.node).toBe(0);
    k("h");
    expect(m.node).toBe(2);
    k("2");
    expect(m.node).toBe(1);
    k("j");
    expect(m.cursor).toBe(0); // one row
    expect(k("q")).toEqual({ kind: "quit" });
  });
});
