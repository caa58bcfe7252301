/**
 * The TUI's state as a pure reducer: status snapshots + events + keys → a view model.
 * No Ink, no React, no I/O: test/tui/model.test.ts drives it directly.
 */
import type {
  BfdStatus,
  Counters,
  Event,
  Request,
  Explanation,
  InstanceStatus,
  Status,
  TrackerStatus,
  VirtualServerStatus,
} from "../src/control/protocol";
import { changesOnly, type Known, knownFrom } from "./changes";
import { eventInstance, eventText, prioText } from "./format";
import { confirmKey, instanceOp, type PendingOp, rsOp } from "./ops";

export type View = "instances" | "timeline" | "trackers" | "servers" | "events" | "bfd";
export const VIEWS: View[] = ["instances", "timeline", "trackers", "servers", "events", "bfd"];
export const VIEW_TITLES: Record<View, string> = {
  instances: "Instances",
  timeline: "Timeline",
  trackers: "Trackers",
  servers: "Virtual servers",
  events: "Events",
  bfd: "BFD",
};

export const MAX_EVENTS = 1000;
export const MAX_TIMELINE = 500;
/** samples of advert rate kept per instance (one per status poll) */
export const RATE_HISTORY = 60;
/** check latencies kept per checker (one per completed attempt) */
export const LATENCY_HISTORY = 60;

export interface LogEntry {
  seq: number;
  at: number;
  kind: Event["event"];
  instance?: string;
  text: string;
}

export interface Transition {
  /** unique: the event's log sequence number (negative for ones seeded from a snapshot) */
  seq: number;
  at: number;
  instance: string;
  from: string;
  to: string;
  reason: string;
}

/**
 * The advert rates' history, one sample per poll for every instance (issue 20): each
 * instance has a slot; the counters and time of its last poll by slot; per poll one column
 * of rates by slot (adverts rx+tx per second; NaN: no sample), oldest first. A poll of
 * 1,000 instances adds a column and copies three arrays, not 1,000 objects each with a
 * copy of its 60 samples. Columns are never changed once made (a model is a value).
 */
export interface Rates {
  slot: Map<string, number>;
  rx: Float64Array;
  tx: Float64Array;
  /** each slot's last poll (epoch ms; NaN: none yet) */
  at: Float64Array;
  cols: Float64Array[];
}

export const noRates = (): Rates => ({
  slot: new Map(),
  rx: new Float64Array(0),
  tx: new Float64Array(0),
  at: new Float64Array(0),
  cols: [],
});

/** An instance's advert rates, one per poll, oldest first (at most RATE_HISTORY). */
export function rateHist(r: Rates, name: string): number[] {
  const s = r.slot.get(name);
  const out: number[] = [];
  if (s === undefined) return out;
  for (const c of r.cols) {
    const v = s < c.length ? (c[s] as number) : Number.NaN;
    if (!Number.isNaN(v)) out.push(v);
  }
  return out;
}

export interface Latency {
  /** epoch ms of the newest sample */
  at: number;
  /** ms per completed attempt, oldest first */
  hist: number[];
}

/** The key of one checker of one real server. */
export const checkerId = (vs: string, rs: string, type: string) => `${vs}|${rs}|${type}`;

export type Mode = "normal" | "filter" | "confirm-reload" | "confirm-op" | "help" | "detail";

export interface Model {
  socketPath: string;
  conn: "connecting" | "connected" | "disconnected";
  connError?: string;
  status?: Status;
  /** when the last status arrived: after a disconnection the rows are this old (stale) */
  seenAt?: number;
  /** the checkers' and trackers' last results: the log keeps only changes (changes.ts) */
  known: Known;
  /** check latencies per checker (checkerId) */
  latency: Map<string, Latency>;
  /** instance name → index in status.instances */
  index: Map<string, number>;
  now: number;
  events: LogEntry[];
  seq: number;
  timeline: Transition[];
  rates: Rates;
  view: View;
  cursor: Record<View, number>;
  filter: string;
  mode: Mode;
  /** the instance shown in detail */
  detail?: string;
  /** the daemon's `explain` for the instance in detail (polled while it is shown) */
  explanation?: { instance: string; value?: Explanation; error?: string };
  message?: { text: string; error: boolean; at: number };
  busy?: string;
  /** the operation on the confirmation line (mode confirm-op; ops.ts) */
  pending?: PendingOp;
}

export type Action =
  | { type: "connecting"; at: number }
  | { type: "connected"; status: Status; at: number }
  | { type: "disconnected"; error: string; at: number }
  /** a polled status; `resync` (the delta stream's rare full status): the rates come from `counters` */
  | { type: "status"; status: Status; at: number; resync?: boolean }
  /** the `counters` poll of the delta stream: what changes without an event */
  | { type: "counters"; counters: Counters; at: number }
  | { type: "events"; events: Event[]; at: number }
  | { type: "tick"; at: number }
  | { type: "explanation"; instance: string; value?: Explanation; error?: string }
  | { type: "busy"; text: string | undefined }
  | { type: "message"; text: string; error: boolean; at: number };

export function initialModel(socketPath: string, now: number): Model {
  return {
    socketPath,
    conn: "connecting",
    index: new Map(),
    known: new Map(),
    latency: new Map(),
    now,
    events: [],
    seq: 0,
    timeline: [],
    rates: noRates(),
    view: "instances",
    cursor: { instances: 0, timeline: 0, trackers: 0, servers: 0, events: 0, bfd: 0 },
    filter: "",
    mode: "normal",
  };
}

function indexOf(st: Status): Map<string, number> {
  const m = new Map<string, number>();
  st.instances.forEach((i, n) => m.set(i.name, n));
  return m;
}

/** A copy of `a` `n` long, NaN past its end. */
function grown(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  out.set(a);
  out.fill(Number.NaN, a.length);
  return out;
}

/**
 * One poll's counters into the rates: a sample for each instance polled before (at an
 * earlier time), the rate since then; a new one (or a poll not after its last) only
 * records its counters. A counter that went back (a restarted daemon) counts 0.
 */
function sampleRates(prev: Rates, n: number, row: (k: number) => [string, number, number], at: number): Rates {
  let slot = prev.slot;
  let size = slot.size;
  for (let k = 0; k < n; k++) {
    const name = row(k)[0];
    if (slot.has(name)) continue;
    if (slot === prev.slot) slot = new Map(slot);
    slot.set(name, size++);
  }
  const rx = grown(prev.rx, size);
  const tx = grown(prev.tx, size);
  const last = grown(prev.at, size);
  const col = new Float64Array(size).fill(Number.NaN);
  for (let k = 0; k < n; k++) {
    const [name, r, t] = row(k);
    const s = slot.get(name) as number;
    const p = last[s] as number;
    if (!Number.isNaN(p) && at > p)
      col[s] = (Math.max(0, r - (rx[s] as number)) + Math.max(0, t - (tx[s] as number))) / ((at - p) / 1000);
    rx[s] = r;
    tx[s] = t;
    last[s] = at;
  }
  const cols = prev.cols.length >= RATE_HISTORY ? prev.cols.slice(1 - RATE_HISTORY) : prev.cols.slice();
  cols.push(col);
  return { slot, rx, tx, at: last, cols };
}

/** Advert rates from a polled status' counters. */
function nextRates(prev: Rates, st: Status, at: number): Rates {
  const is = st.instances;
  return sampleRates(
    prev,
    is.length,
    (k) => {
      const i = is[k] as InstanceStatus;
      return [i.name, i.advertsReceived, i.advertsSent];
    },
    at,
  );
}

/**
 * A latency sample per completed check: from the `checker` events' `ms`, and from a polled
 * status' `latencyMs` for an attempt newer than the last sample (a daemon whose events carry
 * no `ms`). The status' `lastCheck` is taken just before the event's `at`, so one attempt
 * seen both ways is counted once.
 */
function addLatency(lat: Map<string, Latency>, id: string, at: number, ms: number): Map<string, Latency> {
  const p = lat.get(id);
  if (p && at <= p.at) return lat;
  const hist = (p?.hist ?? []).slice(-(LATENCY_HISTORY - 1));
  hist.push(ms);
  const out = new Map(lat);
  out.set(id, { at, hist });
  return out;
}

function statusLatency(lat: Map<string, Latency>, st: Status): Map<string, Latency> {
  let out = lat;
  for (const v of st.virtualServers ?? [])
    for (const r of v.realServers)
      for (const c of r.checkers)
        if (c.lastCheck !== undefined && c.latencyMs !== undefined)
          out = addLatency(out, checkerId(v.name, r.address, c.type), c.lastCheck, c.latencyMs);
  return out;
}

/** Advert rates from a `counters` poll: the same samples as nextRates gives per status poll. */
function countersRates(prev: Rates, c: Counters, at: number): Rates {
  const is = c.instances;
  return sampleRates(prev, is.length, (k) => is[k] as unknown as [string, number, number], at);
}

/**
 * The counters into the status: only the instances (and BFD sessions) whose numbers moved
 * are copied, so a row that did not change keeps its identity (the views' frame key).
 */
function takeCounters(m: Model, c: Counters, at: number): Model {
  const st = m.status;
  if (!st) return m;
  let instances: InstanceStatus[] | undefined;
  for (const [name, rx, tx, errors, master] of c.instances) {
    const n = m.index.get(name);
    const cur = n === undefined ? undefined : (instances ?? st.instances)[n];
    if (!cur || n === undefined) continue;
    const mst = master ?? undefined;
    if (cur.advertsReceived === rx && cur.advertsSent === tx && cur.errors === errors && cur.master === mst) continue;
    instances ??= st.instances.slice();
    instances[n] = { ...cur, advertsReceived: rx, advertsSent: tx, errors, master: mst };
  }
  let bfd: BfdStatus[] | undefined;
  for (const [name, rx, tx] of c.bfd ?? []) {
    const n = (bfd ?? st.bfd)?.findIndex((b) => b.name === name) ?? -1;
    const cur = n < 0 ? undefined : (bfd ?? st.bfd)?.[n];
    if (!cur || (cur.rx === rx && cur.tx === tx)) continue;
    bfd ??= (st.bfd ?? []).slice();
    bfd[n] = { ...cur, rx, tx };
  }
  const status = instances || bfd ? { ...st, ...(instances && { instances }), ...(bfd && { bfd }) } : st;
  return { ...m, status, seenAt: at, rates: countersRates(m.rates, c, at), now: Math.max(m.now, at) };
}

function takeStatus(m: Model, st: Status, at: number, resync = false): Model {
  const timeline = m.timeline.length > 0 ? m.timeline : seedTimeline(st);
  return {
    ...m,
    status: st,
    seenAt: at,
    index: indexOf(st),
    rates: resync ? m.rates : nextRates(m.rates, st, at),
    latency: statusLatency(m.latency, st),
    now: at,
    timeline,
  };
}

/** Before any event, the snapshot's last transitions are the best timeline there is. */
function seedTimeline(st: Status): Transition[] {
  const t: Transition[] = [];
  for (const i of st.instances) if (i.lastTransition) t.push({ seq: 0, instance: i.name, ...i.lastTransition });
  t.sort((a, b) => a.at - b.at);
  t.forEach((x, n) => {
    x.seq = n - t.length;
  });
  return t.slice(-MAX_TIMELINE);
}

/**
 * A tracker's new result in the instances it moves (their MOVED BY): only those rows are
 * copied; `list` itself when none changes.
 */
function trackInInstances(list: InstanceStatus[], kind: string, name: string, ok: boolean): InstanceStatus[] {
  let out: InstanceStatus[] | undefined;
  list.forEach((i, n) => {
    if (!i.trackers?.some((t) => t.kind === kind && t.name === name && t.ok !== ok)) return;
    out ??= list.slice();
    out[n] = { ...i, trackers: i.trackers.map((t) => (t.kind === kind && t.name === name ? { ...t, ok } : t)) };
  });
  return out ?? list;
}

/** A BFD session's state change into the sessions (undefined: no such session). */
function bfdEvent(list: BfdStatus[] | undefined, e: Extract<Event, { event: "bfd" }>): BfdStatus[] | undefined {
  const n = list?.findIndex((b) => b.name === e.name) ?? -1;
  if (!list || n < 0) return undefined;
  const out = list.slice();
  const b = list[n]!;
  out[n] = { ...b, state: e.to, since: e.at, transitions: b.transitions + 1 };
  return out;
}

function applyEvents(m: Model, events: Event[], at: number): Model {
  if (events.length === 0) return m;
  const first = m.seq + 1;
  const seq = m.seq + events.length;
  // the log keeps changes; every event still updates the status below. Sequence numbers
  // are per event (the timeline's keys), so the log's may skip.
  const { changes, known } = changesOnly(events, m.known);
  const kept = new Set(changes);
  const log = m.events.concat(
    events.flatMap((e, n) =>
      kept.has(e) ? [{ seq: first + n, at: e.at, kind: e.event, instance: eventInstance(e), text: eventText(e) }] : [],
    ),
  );
  let latency = m.latency;
  const timeline = m.timeline.slice();
  let st = m.status;
  let instances: InstanceStatus[] | undefined;
  let trackers: TrackerStatus[] | undefined;
  let servers: VirtualServerStatus[] | undefined;
  let bfd: BfdStatus[] | undefined;
  const inst = (name: string): InstanceStatus | undefined => {
    const n = m.index.get(name);
    if (st === undefined || n === undefined) return undefined;
    instances ??= st.instances.slice();
    const cur = instances[n];
    if (!cur) return undefined;
    const copy = { ...cur };
    instances[n] = copy;
    return copy;
  };
  const vs = (name: string): VirtualServerStatus | undefined => {
    if (!st?.virtualServers) return undefined;
    servers ??= st.virtualServers.slice();
    const n = servers.findIndex((v) => v.name === name);
    if (n < 0) return undefined;
    const copy = { ...servers[n]! };
    servers[n] = copy;
    return copy;
  };
  for (const [n, e] of events.entries()) {
    switch (e.event) {
      case "transition": {
        timeline.push({ seq: first + n, at: e.at, instance: e.instance, from: e.from, to: e.to, reason: e.reason });
        const i = inst(e.instance);
        if (i) {
          i.state = e.to;
          i.lastTransition = { at: e.at, from: e.from, to: e.to, reason: e.reason };
          if (e.faults) i.faults = e.faults;
        }
        break;
      }
      case "priority": {
        const i = inst(e.instance);
        if (i) i.effectivePriority = e.to;
        break;
      }
      case "track": {
        if (!st?.trackers) break;
        trackers ??= st.trackers.slice();
        const n = trackers.findIndex((t) => t.kind === e.kind && t.name === e.name);
        if (n < 0) break;
        const t = { ...trackers[n]! };
        if (e.ok !== undefined) t.ok = e.ok;
        if (e.value !== undefined) t.value = e.value;
        else if (e.code !== undefined) t.value = e.code;
        if (e.ms !== undefined) t.ms = Math.round(e.ms);
        t.at = e.at;
        trackers[n] = t;
        if (e.ok !== undefined && st) {
          const base = instances ?? st.instances;
          const moved = trackInInstances(base, e.kind, e.name, e.ok);
          // never the snapshot's own array: inst() writes into `instances`
          if (moved !== base) instances = moved;
        }
        break;
      }
      case "bfd": {
        const b = bfdEvent(bfd ?? st?.bfd, e);
        if (b) bfd = b;
        break;
      }
      case "rx-error": {
        const i = e.instance ? inst(e.instance) : undefined;
        if (i) i.errors += e.count ?? 1;
        break;
      }
      case "checker":
      case "real-server": {
        if (e.event === "checker" && e.ms !== undefined)
          latency = addLatency(latency, checkerId(e.virtualServer, e.realServer, e.type), e.at, e.ms);
        const v = vs(e.virtualServer);
        if (!v) break;
        v.realServers = v.realServers.map((r) => {
          if (r.address !== e.realServer) return r;
          if (e.event === "real-server") {
            const copy = { ...r, up: e.up };
            if (e.liveWeight !== undefined) copy.liveWeight = e.liveWeight;
            else if (!e.up) copy.liveWeight = undefined;
            return copy;
          }
          return {
            ...r,
            checkers: r.checkers.map((c) =>
              c.type === e.type
                ? { ...c, up: e.up, lastCheck: e.at, lastResult: e.line, latencyMs: e.ms ?? c.latencyMs }
                : c,
            ),
          };
        });
        break;
      }
      case "quorum": {
        const v = vs(e.virtualServer);
        if (v) {
          v.quorumUp = e.up;
          v.aliveWeight = e.aliveWeight;
        }
        break;
      }
      case "notify":
        break;
    }
  }
  if (st && (instances || trackers || servers || bfd)) {
    st = { ...st };
    if (instances) st.instances = instances;
    if (trackers) st.trackers = trackers;
    if (servers) st.virtualServers = servers;
    if (bfd) st.bfd = bfd;
  }
  return {
    ...m,
    status: st,
    seq,
    known,
    latency,
    now: Math.max(m.now, at),
    events: log.length > MAX_EVENTS ? log.slice(-MAX_EVENTS) : log,
    timeline: timeline.length > MAX_TIMELINE ? timeline.slice(-MAX_TIMELINE) : timeline,
  };
}

export function reduce(m: Model, a: Action): Model {
  switch (a.type) {
    case "connecting":
      return { ...m, conn: "connecting", now: a.at };
    case "connected":
      // only the subscribe snapshot seeds what is known: a poll's status may run ahead of
      // the events still queued, and would hide the change they carry
      return {
        ...takeStatus(m, a.status, a.at),
        known: knownFrom(a.status, m.known),
        conn: "connected",
        connError: undefined,
      };
    case "disconnected":
      return { ...m, conn: "disconnected", connError: a.error, now: a.at };
    case "status":
      return takeStatus(m, a.status, a.at, a.resync);
    case "counters":
      return takeCounters(m, a.counters, a.at);
    case "events":
      return applyEvents(m, a.events, a.at);
    case "tick":
      return { ...m, now: a.at };
    case "explanation": {
      const e: NonNullable<Model["explanation"]> = { instance: a.instance };
      if (a.value) e.value = a.value;
      if (a.error !== undefined) e.error = a.error;
      return { ...m, explanation: e };
    }
    case "busy":
      return { ...m, busy: a.text };
    case "message":
      return { ...m, message: { text: a.text, error: a.error, at: a.at }, busy: undefined };
  }
}

// ---- selectors: what each view lists (filtered) ----

const has = (hay: string, needle: string) => hay.toLowerCase().includes(needle);

export function instanceRows(m: Model): InstanceStatus[] {
  const all = m.status?.instances ?? [];
  const f = m.filter.toLowerCase();
  if (!f) return all;
  return all.filter((i) =>
    has(
      `${i.name} ${i.interface ?? ""} ${i.state} ${i.vrid} ${prioText(i)} ${i.master ?? ""} ${i.vips.join(" ")} ${(i.holds ?? []).map((h) => h.kind).join(" ")}`,
      f,
    ),
  );
}

/** newest first */
export function eventRows(m: Model): LogEntry[] {
  const f = m.filter.toLowerCase();
  const out: LogEntry[] = [];
  for (let n = m.events.length - 1; n >= 0; n--) {
    const e = m.events[n]!;
    if (!f || has(`${e.kind} ${e.text}`, f)) out.push(e);
  }
  return out;
}

/** newest first */
export function timelineRows(m: Model): Transition[] {
  const f = m.filter.toLowerCase();
  const out: Transition[] = [];
  for (let n = m.timeline.length - 1; n >= 0; n--) {
    const t = m.timeline[n]!;
    if (!f || has(`${t.instance} ${t.from} ${t.to} ${t.reason}`, f)) out.push(t);
  }
  return out;
}

export function trackerRows(m: Model): TrackerStatus[] {
  const all = m.status?.trackers ?? [];
  const f = m.filter.toLowerCase();
  return f ? all.filter((t) => has(`${t.kind} ${t.name}`, f)) : all;
}

export function bfdRows(m: Model): BfdStatus[] {
  const all = m.status?.bfd ?? [];
  const f = m.filter.toLowerCase();
  return f ? all.filter((b) => has(`${b.name} ${b.neighbor} ${b.source ?? ""} ${b.state}`, f)) : all;
}

/** The instances a BFD session moves (their track_bfd), "VI_1-20 VI_2" as MOVED BY writes them. */
export function bfdTrackedBy(m: Model, name: string): string[] {
  const out: string[] = [];
  for (const i of m.status?.instances ?? [])
    for (const t of i.trackers ?? [])
      if (t.kind === "bfd" && t.name === name)
        out.push(`${i.name}${t.weight ? (t.weight > 0 ? `+${t.weight}` : t.weight) : ""}`);
  return out;
}

export type ServerRow =
  | { kind: "vs"; vs: VirtualServerStatus }
  | { kind: "rs"; vs: VirtualServerStatus; rs: VirtualServerStatus["realServers"][number] };

export function serverRows(m: Model): ServerRow[] {
  const f = m.filter.toLowerCase();
  const out: ServerRow[] = [];
  for (const vs of m.status?.virtualServers ?? []) {
    if (f && !has(vs.name, f) && !vs.realServers.some((r) => has(r.address, f))) continue;
    out.push({ kind: "vs", vs });
    for (const rs of vs.realServers) out.push({ kind: "rs", vs, rs });
  }
  return out;
}

export function rowCount(m: Model, v: View = m.view): number {
  switch (v) {
    case "instances":
    case "timeline":
      return instanceRows(m).length;
    case "events":
      return eventRows(m).length;
    case "trackers":
      return trackerRows(m).length;
    case "servers":
      return serverRows(m).length;
    case "bfd":
      return bfdRows(m).length;
  }
}

/** The daemon does not answer now: what is shown is its last known state, not a live one. */
export function isStale(m: Model): boolean {
  return m.conn !== "connected" && m.status !== undefined;
}

/** The instance under the cursor (instances and timeline views) or in detail. */
export function selectedInstance(m: Model): InstanceStatus | undefined {
  if (m.mode === "detail" && m.detail !== undefined) {
    const n = m.index.get(m.detail);
    return n === undefined ? undefined : m.status?.instances[n];
  }
  if (m.view !== "instances" && m.view !== "timeline") return undefined;
  const rows = instanceRows(m);
  return rows[Math.min(m.cursor[m.view], rows.length - 1)];
}

/** The first row of the page that holds `cursor` (page-wise scrolling, no hidden state). */
export function pageTop(cursor: number, count: number, height: number): number {
  if (height <= 0 || count <= height) return 0;
  const c = Math.max(0, Math.min(cursor, count - 1));
  return Math.min(Math.floor(c / height) * height, Math.max(0, count - height));
}

// ---- keys ----

export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
}

export type Effect =
  | { kind: "quit" }
  | { kind: "reload" }
  | { kind: "garp"; instance: string }
  | { kind: "extra"; key: string }
  | { kind: "op"; request: Request; label: string };

/** One key → the next model and what the app must do (send a command, quit). */
export function handleKey(
  m: Model,
  k: KeyPress,
  pageRows: number,
  extraKeys: readonly string[] = [],
): { model: Model; effect?: Effect } {
  if (k.ctrl && k.input === "c") return { model: m, effect: { kind: "quit" } };
  switch (m.mode) {
    case "help":
      return { model: { ...m, mode: "normal" } };
    case "confirm-reload":
      if (k.input === "y" || k.input === "Y")
        return { model: { ...m, mode: "normal", busy: "reloading..." }, effect: { kind: "reload" } };
      return { model: { ...m, mode: "normal", message: { text: "reload cancelled", error: false, at: m.now } } };
    case "confirm-op": {
      if (!m.pending) return { model: { ...m, mode: "normal" } };
      const r = confirmKey(m.pending, k);
      if ("pending" in r) return { model: { ...m, pending: r.pending } };
      const back: Mode = m.detail !== undefined ? "detail" : "normal";
      if ("cancel" in r)
        return {
          model: {
            ...m,
            mode: back,
            pending: undefined,
            message: { text: `cancelled: ${m.pending.label}`, error: false, at: m.now },
          },
        };
      return {
        model: { ...m, mode: back, pending: undefined, busy: `${r.label}...` },
        effect: { kind: "op", request: r.send, label: r.label },
      };
    }
    case "filter": {
      if (k.return) return { model: { ...m, mode: "normal" } };
      if (k.escape) return { model: withCursor({ ...m, mode: "normal", filter: "" }, 0) };
      if (k.backspace || k.delete)
        return { model: withCursor({ ...m, filter: Array.from(m.filter).slice(0, -1).join("") }, 0) };
      if (k.ctrl || k.tab || k.upArrow || k.downArrow) return { model: m };
      if (k.input && k.input >= " ") return { model: withCursor({ ...m, filter: m.filter + k.input }, 0) };
      return { model: m };
    }
    case "detail":
    case "normal":
      break;
  }
  const inDetail = m.mode === "detail";
  if (k.input === "q") return { model: m, effect: { kind: "quit" } };
  if (k.input === "?") return { model: { ...m, mode: "help" } };
  if (k.input === "r") return { model: { ...m, mode: "confirm-reload" } };
  if (k.input === "g") {
    const i = selectedInstance(m);
    if (!i) return { model: { ...m, message: { text: "select an instance first", error: true, at: m.now } } };
    return { model: { ...m, busy: `sending GARP for ${i.name}...` }, effect: { kind: "garp", instance: i.name } };
  }
  const iop = "sSmM".includes(k.input) && k.input ? selectedInstance(m) : undefined;
  if (iop) {
    const p = instanceOp(k.input, iop.name);
    if (p) return { model: { ...m, mode: "confirm-op", pending: p } };
  } else if (k.input && "sSmM".includes(k.input))
    return {
      model: {
        ...m,
        message: { text: "select an instance first (Instances or Timeline view)", error: true, at: m.now },
      },
    };
  const row = !inDetail && m.view === "servers" ? serverRows(m)[m.cursor.servers] : undefined;
  if (row?.kind === "rs" && k.input) {
    const p = rsOp(k.input, row.vs.name, row.rs.address);
    if (p) return { model: { ...m, mode: "confirm-op", pending: p } };
  } else if (m.view === "servers" && !inDetail && k.input && "dew".includes(k.input))
    return { model: { ...m, message: { text: "select a real server first", error: true, at: m.now } } };
  if (inDetail && (k.escape || k.return || k.backspace || k.leftArrow))
    return { model: { ...m, mode: "normal", detail: undefined } };
  if (k.tab || k.rightArrow || k.leftArrow) {
    const step = (k.tab && k.shift) || k.leftArrow ? -1 : 1;
    const n = (VIEWS.indexOf(m.view) + step + VIEWS.length) % VIEWS.length;
    return { model: { ...m, view: VIEWS[n]!, mode: "normal", detail: undefined } };
  }
  if (/^[1-6]$/.test(k.input))
    return { model: { ...m, view: VIEWS[Number(k.input) - 1]!, mode: "normal", detail: undefined } };
  if (k.input === "/") return { model: { ...m, mode: "filter" } };
  if (k.escape && m.filter) return { model: withCursor({ ...m, filter: "" }, 0) };
  if (k.return && (m.view === "instances" || m.view === "timeline")) {
    const i = selectedInstance(m);
    return i ? { model: { ...m, mode: "detail", detail: i.name } } : { model: m };
  }
  if (extraKeys.includes(k.input)) return { model: m, effect: { kind: "extra", key: k.input } };
  if (inDetail) return { model: m };
  const cur = m.cursor[m.view];
  if (k.upArrow || k.input === "k") return { model: withCursor(m, cur - 1) };
  if (k.downArrow || k.input === "j") return { model: withCursor(m, cur + 1) };
  if (k.pageUp) return { model: withCursor(m, cur - Math.max(1, pageRows)) };
  if (k.pageDown || k.input === " ") return { model: withCursor(m, cur + Math.max(1, pageRows)) };
  if (k.home) return { model: withCursor(m, 0) };
  if (k.end || k.input === "G") return { model: withCursor(m, Number.MAX_SAFE_INTEGER) };
  return { model: m };
}

function withCursor(m: Model, c: number): Model {
  const count = rowCount(m);
  const cur = Math.max(0, Math.min(c, count - 1));
  return cur === m.cursor[m.view] ? m : { ...m, cursor: { ...m.cursor, [m.view]: cur } };
}
