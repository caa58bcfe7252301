/**
 * Which events are changes. A daemon sends a `checker` event for every check attempt and a
 * `track` event for every vrrp_script run, so one healthy real server checked each second
 * fills a log with "up: ok" in a minute (issue 19). The event logs (the single-node Events
 * view and the fleet timeline) keep an event only when it changes something: a checker whose
 * up/down differs from its last known one, a tracker whose result (ok, value) differs. The
 * other kinds are changes by nature (transition, priority, real-server, quorum, reload) or
 * already rate-limited by the daemon (rx-error, observed). Pure.
 */
import type { Event, Status } from "../src/control/protocol";

/** Last known result per checker ("vs|rs|type") and tracker ("kind:name"). */
export type Known = ReadonlyMap<string, string>;

const checkerKey = (vs: string, rs: string, type: string) => `${vs}|${rs}|${type}`;

/** What a status snapshot says the checkers and trackers are (a log starts from there). */
export function knownFrom(st: Status | undefined, prev: Known = new Map()): Known {
  const out = new Map(prev);
  for (const v of st?.virtualServers ?? [])
    for (const r of v.realServers)
      for (const c of r.checkers) out.set(checkerKey(v.name, r.address, c.type), c.up ? "up" : "down");
  for (const t of st?.trackers ?? []) out.set(`${t.kind}:${t.name}`, trackResult(t.kind, t.ok, t.value));
  return out;
}

/**
 * What decides a tracker: a track_file's value (its weight follows it; keepalived's
 * track_file), the others' ok/fail (a script's exit code may change without that).
 */
function trackResult(kind: string, ok: boolean | undefined, value: number | undefined): string {
  return kind === "file" ? `value ${value ?? "-"}` : `ok ${ok ?? "-"}`;
}

/**
 * The events that change something, and what is known after them. A checker or tracker
 * never seen before counts as a change (its first result is news).
 */
export function changesOnly(events: readonly Event[], known: Known): { changes: Event[]; known: Known } {
  let next: Map<string, string> | undefined;
  const set = (k: string, v: string): boolean => {
    const cur = (next ?? known).get(k);
    if (cur === v) return false;
    next ??= new Map(known);
    next.set(k, v);
    return true;
  };
  const changes: Event[] = [];
  for (const e of events) {
    if (e.event === "checker") {
      if (set(checkerKey(e.virtualServer, e.realServer, e.type), e.up ? "up" : "down")) changes.push(e);
    } else if (e.event === "track") {
      if (set(`${e.kind}:${e.name}`, trackResult(e.kind, e.ok, e.value))) changes.push(e);
    } else changes.push(e);
  }
  return { changes, known: next ?? known };
}
