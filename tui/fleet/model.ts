/**
 * The fleet screen's state as a pure reducer: each node's view (src/fleet/link.ts keeps it:
 * its last status and, when it does not answer, why) and the events each node sends →
 * the snapshot (src/fleet/flags.ts: rows per VRID and the flags, computed once, there),
 * one cell per node and row (a node that does not answer shows its last known state as
 * stale, never as live), and one timeline of all nodes' changes in time order.
 * No Ink, no I/O: test/tui/fleet-model.test.ts drives it.
 */
import type { Event, InstanceStatus, Request } from "../../src/control/protocol";
import { type NodeView, type Row, type Snapshot, snapshot } from "../../src/fleet/flags";
import { changesOnly, type Known, knownFrom } from "../changes";
import { eventInstance, eventText, prioText } from "../format";
import type { KeyPress } from "../model";
import { confirmKey, instanceOp, type PendingOp } from "../ops";

export const MAX_FLEET_TIMELINE = 1000;

export interface FleetEntry {
  /** unique, in arrival order */
  seq: number;
  /** the node's clock (epoch ms) */
  at: number;
  node: string;
  kind: Event["event"];
  instance?: string;
  text: string;
}

export interface FleetModel {
  views: NodeView[];
  snap: Snapshot;
  /** per node: its checkers' and trackers' last results (only changes reach the timeline) */
  known: Map<string, Known>;
  /** oldest first, by `at` */
  timeline: FleetEntry[];
  seq: number;
  now: number;
  /** the row under the cursor */
  cursor: number;
  /** the node selected (Enter opens it) */
  node: number;
  mode: "normal" | "help" | "confirm-op";
  /** the operation on the confirmation line, for this node (ops.ts) */
  pending?: PendingOp & { node: string };
  /** the last operation's outcome, or why a key did nothing */
  message?: { text: string; error: boolean; at: number };
}

export type FleetAction =
  | { type: "nodes"; views: NodeView[]; at: number }
  | { type: "events"; node: string; events: Event[]; at: number }
  | { type: "tick"; at: number }
  | { type: "message"; text: string; error: boolean; at: number };

export function initialFleet(views: NodeView[], now: number): FleetModel {
  return {
    views: views.map((v) => ({ ...v })),
    snap: snapshot(views),
    known: new Map(),
    timeline: [],
    seq: 0,
    now,
    cursor: 0,
    node: 0,
    mode: "normal",
  };
}

/** Entries put in time order: nodes' events arrive in batches, each node's in its own order. */
function insertSorted(list: FleetEntry[], add: FleetEntry[]): FleetEntry[] {
  if (add.length === 0) return list;
  const out = list.concat(add);
  out.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return out.length > MAX_FLEET_TIMELINE ? out.slice(-MAX_FLEET_TIMELINE) : out;
}

/**
 * New views: a node answering again (or for the first time) seeds what is known of its
 * checkers from its status, and its instances' last transitions start the timeline when
 * nothing of that node is in it yet.
 */
function takeViews(m: FleetModel, views: NodeView[], at: number): FleetModel {
  const known = new Map(m.known);
  const add: FleetEntry[] = [];
  let seq = m.seq;
  for (const v of views) {
    const before = m.views.find((x) => x.name === v.name);
    const back = v.status !== undefined && v.error === undefined && (!before?.status || before.error !== undefined);
    if (!back) continue;
    known.set(v.name, knownFrom(v.status, known.get(v.name)));
    if (m.timeline.some((e) => e.node === v.name)) continue;
    for (const i of v.status?.instances ?? [])
      if (i.lastTransition) {
        const t = i.lastTransition;
        add.push({
          seq: ++seq,
          at: t.at,
          node: v.name,
          kind: "transition",
          instance: i.name,
          text: `${i.name} ${t.from} -> ${t.to} (${t.reason})`,
        });
      }
  }
  const copies = views.map((v) => ({ ...v }));
  return {
    ...m,
    views: copies,
    snap: snapshot(copies),
    known,
    seq,
    timeline: insertSorted(m.timeline, add),
    now: at,
    cursor: Math.min(m.cursor, Math.max(0, rowsOf(copies).length - 1)),
    node: Math.min(m.node, Math.max(0, copies.length - 1)),
  };
}

function takeEvents(m: FleetModel, node: string, events: Event[], at: number): FleetModel {
  // a notify event repeats the transition before it (the script or FIFO it ran): not a change
  const { changes, known } = changesOnly(
    events.filter((e) => e.event !== "notify"),
    m.known.get(node) ?? new Map(),
  );
  let seq = m.seq;
  const add = changes.map(
    (e): FleetEntry => ({ seq: ++seq, at: e.at, node, kind: e.event, instance: eventInstance(e), text: eventText(e) }),
  );
  const k = new Map(m.known);
  k.set(node, known);
  return { ...m, known: k, seq, timeline: insertSorted(m.timeline, add), now: Math.max(m.now, at) };
}

export function reduceFleet(m: FleetModel, a: FleetAction): FleetModel {
  switch (a.type) {
    case "nodes":
      return takeViews(m, a.views, a.at);
    case "events":
      return takeEvents(m, a.node, a.events, a.at);
    case "tick":
      return { ...m, now: a.at };
    case "message":
      return { ...m, message: { text: a.text, error: a.error, at: a.at } };
  }
}

// ---- what the screen shows ----

/** One node's part of a row: live (from the snapshot) or its last known state (stale). */
export interface Cell {
  node: string;
  /** the node's instance(s) of this router, by name (operations name one) */
  instances: string[];
  /** operators' holds on them (keel switchover, keel maintenance) */
  holds: string[];
  state: string;
  prio: string;
  stale: boolean;
}

export interface FleetRow {
  key: string;
  vrid: number;
  family: 4 | 6;
  instances: string[];
  holders: string[];
  vips: string;
  /** per node, in the nodes' order; undefined where the node has no instance of this router */
  cells: (Cell | undefined)[];
  flagged: boolean;
}

function lastKnown(v: NodeView, family: number, vrid: number): InstanceStatus[] {
  return (v.status?.instances ?? []).filter((i) => i.family === family && i.vrid === vrid);
}

function cellOf(
  node: string,
  is: {
    name?: string;
    instance?: string;
    state: string;
    priority: number;
    effectivePriority: number;
    holds?: (string | { kind: string })[];
  }[],
  stale: boolean,
): Cell | undefined {
  if (is.length === 0) return undefined;
  return {
    node,
    instances: is.map((i) => i.instance ?? i.name ?? ""),
    holds: is.flatMap((i) => (i.holds ?? []).map((h) => (typeof h === "string" ? h : h.kind))),
    state: is.map((i) => i.state).join("+"),
    prio: is.map((i) => prioText(i)).join("+"),
    stale,
  };
}

/**
 * The rows: the snapshot's (reachable nodes) plus the routers only a node that does not
 * answer now had, so a dead node's last known state stays visible, marked stale.
 */
function rowsOf(views: NodeView[], snap: Snapshot = snapshot(views)): FleetRow[] {
  const rows: Row[] = [...snap.rows];
  for (const v of views)
    if (v.error !== undefined)
      for (const i of v.status?.instances ?? []) {
        const key = `${i.family}/${i.vrid}`;
        if (!rows.some((r) => r.key === key))
          rows.push({ key, family: i.family, vrid: i.vrid, instances: [i.name], holders: [], nodes: [] });
      }
  rows.sort((a, b) => a.family - b.family || a.vrid - b.vrid);
  const flagged = new Set(snap.flags.map((f) => f.key).filter((k) => k !== undefined));
  return rows.map((r) => {
    const cells = views.map((v) =>
      v.error === undefined
        ? cellOf(
            v.name,
            r.nodes.filter((c) => c.node === v.name),
            false,
          )
        : cellOf(v.name, lastKnown(v, r.family, r.vrid), true),
    );
    const holder = r.nodes.find((c) => c.node === r.holders[0]) ?? r.nodes[0];
    return {
      key: r.key,
      vrid: r.vrid,
      family: r.family,
      instances: r.instances,
      holders: r.holders,
      vips: holder?.vips.join(",") ?? "",
      cells,
      flagged: flagged.has(r.key),
    };
  });
}

export function fleetRows(m: FleetModel): FleetRow[] {
  return rowsOf(m.views, m.snap);
}

/** newest first */
export function timelineNewestFirst(m: FleetModel): FleetEntry[] {
  return m.timeline.slice().reverse();
}

export function selectedNode(m: FleetModel): NodeView | undefined {
  return m.views[m.node];
}

// ---- keys ----

export type FleetEffect =
  | { kind: "quit" }
  | { kind: "open"; node: string }
  | { kind: "op"; node: string; request: Request; label: string };

export function handleFleetKey(m: FleetModel, k: KeyPress): { model: FleetModel; effect?: FleetEffect } {
  if (k.ctrl && k.input === "c") return { model: m, effect: { kind: "quit" } };
  if (m.mode === "help") return { model: { ...m, mode: "normal" } };
  if (m.mode === "confirm-op") {
    const p = m.pending;
    if (!p) return { model: { ...m, mode: "normal" } };
    const r = confirmKey(p, k);
    if ("pending" in r) return { model: { ...m, pending: { ...r.pending, node: p.node } } };
    if ("cancel" in r)
      return {
        model: {
          ...m,
          mode: "normal",
          pending: undefined,
          message: { text: `cancelled: ${p.label}`, error: false, at: m.now },
        },
      };
    const label = r.label;
    return {
      model: { ...m, mode: "normal", pending: undefined, message: { text: `${label}...`, error: false, at: m.now } },
      effect: { kind: "op", node: p.node, request: r.send, label },
    };
  }
  if (k.input === "q") return { model: m, effect: { kind: "quit" } };
  if (k.input === "?") return { model: { ...m, mode: "help" } };
  const rows = fleetRows(m).length;
  const nodes = m.views.length;
  if (k.upArrow || k.input === "k") return { model: { ...m, cursor: Math.max(0, m.cursor - 1) } };
  if (k.downArrow || k.input === "j") return { model: { ...m, cursor: Math.max(0, Math.min(rows - 1, m.cursor + 1)) } };
  if (k.leftArrow || k.input === "h" || (k.tab && k.shift))
    return { model: { ...m, node: (m.node - 1 + nodes) % Math.max(1, nodes) } };
  if (k.rightArrow || k.input === "l" || k.tab) return { model: { ...m, node: (m.node + 1) % Math.max(1, nodes) } };
  if (/^[1-9]$/.test(k.input) && Number(k.input) <= nodes) return { model: { ...m, node: Number(k.input) - 1 } };
  if (k.input && "sSmM".includes(k.input)) {
    // the selected row's instance on the selected node, sent over that node's own target
    const cell = fleetRows(m)[m.cursor]?.cells[m.node];
    const name = cell?.instances[0];
    if (!cell || !name)
      return {
        model: { ...m, message: { text: "no instance of this router on the selected node", error: true, at: m.now } },
      };
    const p = instanceOp(k.input, name);
    if (p)
      return {
        model: { ...m, mode: "confirm-op", pending: { ...p, label: `${cell.node}: ${p.label}`, node: cell.node } },
      };
  }
  if (k.return) {
    const v = selectedNode(m);
    return v ? { model: m, effect: { kind: "open", node: v.name } } : { model: m };
  }
  return { model: m };
}
