/**
 * What a frame shows, so the store can skip one that would draw the same screen (issue 20).
 * Ink redraws its whole output for any commit: at 200x50 that is ~10 ms of CPU whatever
 * changed, and 200 events/s over 1,000 instances touch a row on screen only now and then.
 * A frame key lists everything the frame is drawn from; two equal keys (same length, each
 * item the same by ===) draw the same screen. Rows are compared by identity: the reducer
 * copies only the rows an event or a counters poll changed (tui/model.ts). Pure.
 *
 * Keys exist for the busy views only (instances, events, in the normal mode); anything
 * else (other views, help, detail, confirmations) has none and is always drawn.
 */
import type { InstanceStatus } from "../src/control/protocol";
import { eventRows, instanceRows, isStale, type LogEntry, type Model, pageTop } from "./model";

export type FrameKey = readonly unknown[];

/** The page of the instances view in a body of `height` lines (the view draws exactly this). */
export function instancesPage(m: Model, height: number) {
  const rows = instanceRows(m);
  const stale = isStale(m);
  const h = Math.max(0, height - 1 - (stale ? 1 : 0));
  const cur = Math.min(m.cursor.instances, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  return { rows, stale, cur, top, visible: rows.slice(top, top + h) as InstanceStatus[] };
}

/** The page of the events view in a body of `height` lines. */
export function eventsPage(m: Model, height: number) {
  const rows = eventRows(m);
  const h = Math.max(0, height - 1);
  const cur = Math.min(m.cursor.events, rows.length - 1);
  const top = pageTop(cur, rows.length, h);
  return { rows, cur, top, visible: rows.slice(top, top + h) as LogEntry[] };
}

/** The header's state counts ("3 instances: 1 MASTER ..."), counted once per instance list. */
const countsCache = new WeakMap<readonly InstanceStatus[], string>();
export function counts(m: Model): string {
  const insts = m.status?.instances ?? [];
  const hit = countsCache.get(insts);
  if (hit !== undefined) return hit;
  const by = new Map<string, number>();
  for (const i of insts) by.set(i.state, (by.get(i.state) ?? 0) + 1);
  const parts = [
    "MASTER",
    "BACKUP",
    "FAULT",
    ...[...by.keys()].filter((s) => !["MASTER", "BACKUP", "FAULT"].includes(s)),
  ]
    .filter((s) => by.get(s))
    .map((s) => `${by.get(s)} ${s}`);
  const text = `${insts.length} instances${parts.length ? `: ${parts.join(" ")}` : ""}`;
  countsCache.set(insts, text);
  return text;
}

/**
 * Everything the frame of `m` is drawn from, in a body of `bodyH` lines; undefined when
 * the screen has no key (always drawn). The clock and the IN STATE spans move by the second.
 */
export function frameKey(m: Model, bodyH: number): FrameKey | undefined {
  if (m.mode !== "normal" && m.mode !== "filter") return undefined;
  const second = Math.floor(m.now / 1000);
  const message = m.message && m.now - m.message.at < 10_000 ? m.message : undefined;
  const common = [m.view, m.mode, m.conn, m.connError, m.filter, message, m.busy, second, counts(m)];
  if (m.view === "instances") {
    const p = instancesPage(m, bodyH);
    // a stale screen says since when
    return [...common, p.rows.length, p.cur, p.top, p.stale, p.stale && m.seenAt, ...p.visible];
  }
  if (m.view === "events") {
    const p = eventsPage(m, bodyH);
    return [...common, p.rows.length, m.events.length, p.cur, p.top, ...p.visible];
  }
  return undefined;
}

export function sameFrame(a: FrameKey | undefined, b: FrameKey | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let n = 0; n < a.length; n++) if (a[n] !== b[n]) return false;
  return true;
}
