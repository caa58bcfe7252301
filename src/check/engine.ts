/**
 * The health-check scheduler, sans-I/O (after quinn-proto, like src/vrrp): which checker
 * probes when, which results change a checker's state, and what the runtime must do
 * about it. It never reads the clock, sets a timer or opens a socket: inputs carry `now`
 * (ms, monotonic), outputs are data. The driver (src/runtime/checker-driver.ts) owns the
 * one real timer (`pollTimeout()`), runs the probes (`run-probe`) and feeds each result
 * back (`handleResult`).
 *
 * Rules in this file (the per-family epilogs live in schedule.ts):
 * - start: the first attempt runs BOOTSTRAP_DELAY plus a random share of warmup after the
 *   checker is added (check_api.c register_checkers_thread: `warmup * random() / RAND_MAX`).
 *   The random source is injected, so tests are seeded.
 * - one attempt at a time: the next one is armed only when a result has been handled
 *   (keepalived registers the next timer thread in the epilog), so a slow probe pushes the
 *   checker's rhythm back instead of overlapping itself. MISC_CHECK times its next run from
 *   the start of the last one, at least 1 µs later (check_misc.c misc_check_child_thread).
 * - ha_suspend: a suspended checker keeps its rhythm without probing, re-armed every
 *   delay_loop (check_tcp.c tcp_connect_thread: `if (!checker->enabled)`).
 * - the probe owns connect_timeout (per connect and per read, as keepalived's I/O threads
 *   do); the engine only keeps a watchdog for a probe that never answers: past
 *   `watchdogMs` the attempt fails as a timeout and the probe is aborted.
 * - a result for an attempt that is no longer the current one (aborted by reload, removal
 *   or the watchdog) is dropped.
 * - MISC_CHECK misc_dynamic: an exit status sets the weight once per new value, and the
 *   final failure takes it back (check_misc.c misc_check_child_thread, update_svr_wgt).
 * - reload: a checker whose configuration is unchanged keeps its state (ipwrapper.c
 *   migrate_checkers, see CheckerTimer.carryFrom) and runs again within min(delay_loop,
 *   1 s), where keepalived would wait BOOTSTRAP_DELAY + warmup again: keel's choice, so a
 *   reload does not blind the checkers. Every attempt in flight is aborted.
 */
import type { CheckerType } from "../config/lvs/model";
import type { ProbeResult } from "./probe";
import { CheckerTimer, type LogLine, type Timing, flavourOf } from "./schedule";

/** A checker as data: what the engine needs to schedule it. */
export interface CheckerSpec {
  /** reload identity: equal ids across a reload mean an unchanged checker */
  id: string;
  type: CheckerType;
  timing: Timing;
  /** log_all_failures (the checker's, else the global one) */
  logAllFailures: boolean;
  /** ha_suspend: false while the virtual server's address is not on this host */
  enabled: boolean;
  /** the real server's configured weight (misc_dynamic weights are relative to it) */
  baseWeight: number;
  /** no result this long after the start fails the attempt; undefined: no watchdog */
  watchdogMs?: number;
}

type ProbeFailure = Extract<ProbeResult, { ok: false }>;

/** Why a checker's state changed (or, for firstNotify, why the real server's notify runs). */
export type StateReason =
  | { code: "probe-succeeded" }
  /** retries: the number keepalived prints in "failed after N retries" (0: "failed.") */
  | { code: "probe-failed"; retries: number; result: ProbeFailure }
  /** alpha: the checker started down and its first result agrees; the notify runs once */
  | { code: "initial-failure"; result: ProbeFailure };

export type Action =
  /** run one attempt; url: the HTTP URL index; retry: this attempt repeats a failed one */
  | { kind: "run-probe"; checker: string; attempt: number; url: number; retry: boolean }
  /** the attempt's result is no longer wanted: close its sockets, kill its script */
  | { kind: "abort-probe"; checker: string; attempt: number }
  /** misc_dynamic: add delta to the real server's effective weight */
  | { kind: "weight"; checker: string; delta: number }
  /**
   * An attempt finished: `up` is the checker's state after it, `lines` what to log in
   * order, `url` the URL it checked, `ms` how long it took.
   */
  | {
      kind: "checked";
      checker: string;
      attempt: number;
      url: number;
      ms: number;
      result: ProbeResult;
      up: boolean;
      lines: LogLine[];
      retries: number;
    }
  /** the real server logic (src/lvs/pool.ts) must hear of it */
  | { kind: "checker-state"; checker: string; up: boolean; firstNotify: boolean; reason: StateReason };

/** A checker's timers (quinn-proto's TimerTable): one optional deadline per kind. */
const TIMERS = ["run", "watchdog"] as const;
type TimerKind = (typeof TIMERS)[number];
/** The one "not armed" value. */
const NOT_ARMED = undefined;
type Deadline = number | typeof NOT_ARMED;

class TimerTable {
  private readonly at: Record<TimerKind, Deadline> = { run: NOT_ARMED, watchdog: NOT_ARMED };

  set(kind: TimerKind, t: number): void {
    this.at[kind] = t;
  }

  stop(kind: TimerKind): void {
    this.at[kind] = NOT_ARMED;
  }

  /** The earliest deadline, or NOT_ARMED. */
  next(): Deadline {
    let best: Deadline = NOT_ARMED;
    for (const k of TIMERS) {
      const t = this.at[k];
      if (t !== NOT_ARMED && (best === NOT_ARMED || t < best)) best = t;
    }
    return best;
  }

  /** The kinds due at `now`, stopped as they are returned. */
  expire(now: number): TimerKind[] {
    const due = TIMERS.filter((k) => {
      const t = this.at[k];
      return t !== NOT_ARMED && t <= now;
    });
    for (const k of due) this.stop(k);
    return due;
  }
}

interface Entry {
  spec: CheckerSpec;
  timer: CheckerTimer;
  timers: TimerTable;
  inFlight?: { attempt: number; url: number; startedAt: number };
  /** misc_dynamic: the weight this checker added (keepalived cur_weight) and the exit it came from */
  curWeight: number;
  lastExit?: number;
  /** the seq of this entry's one live heap entry */
  queued?: number;
}

/** What the status view shows of a checker. */
export interface CheckerState {
  up: boolean;
  retries: number;
  curWeight: number;
  running: boolean;
}

/** On reload an unchanged checker runs again within this long (keel's choice: no warmup). */
export const RELOAD_RESUME_MS = 1000;

export class CheckEngine {
  private entries = new Map<string, Entry>();
  private out: Action[] = [];
  /**
   * Every checker's earliest deadline in one binary min-heap (thousands of checkers: no scan
   * per wake-up). Entries go stale when a checker re-arms or leaves; `live` tells them apart.
   */
  private heap: { t: number; seq: number; entry: Entry }[] = [];
  private seq = 0;
  /** attempt numbers, unique across checkers and reloads: a stale result can never match */
  private attempts = 0;

  /** `random` in [0, 1), keepalived's random()/RAND_MAX: inject a seeded one in tests. */
  constructor(private readonly random: () => number) {}

  // ---------------------------------------------------------------------------
  // checkers as data

  /** A new checker: its first attempt after BOOTSTRAP_DELAY plus a random share of warmup. */
  add(spec: CheckerSpec, now: number): void {
    this.remove(spec.id);
    const e = this.entry(spec);
    this.entries.set(spec.id, e);
    this.arm(e, "run", now + e.timer.startDelay(this.random()));
  }

  /** A checker leaves: its attempt in flight is aborted. */
  remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.abort(e);
    this.entries.delete(id);
  }

  /**
   * The whole set after a reload: ids seen before keep their state (check_api.c
   * migrate_checkers), the others start afresh, the missing ones leave. Every attempt in
   * flight is aborted: its checker may have changed under it.
   */
  reload(specs: CheckerSpec[], now: number): void {
    const old = this.entries;
    for (const e of old.values()) this.abort(e);
    this.entries = new Map();
    for (const spec of specs) {
      const prev = old.get(spec.id);
      if (!prev) {
        this.add(spec, now);
        continue;
      }
      const e = this.entry(spec);
      e.timer.carryFrom(prev.timer);
      e.curWeight = prev.curWeight;
      e.lastExit = prev.lastExit;
      this.entries.set(spec.id, e);
      this.arm(e, "run", now + Math.min(spec.timing.delayLoopMs, RELOAD_RESUME_MS));
    }
  }

  /** ha_suspend: returns whether anything changed. */
  setEnabled(id: string, enabled: boolean): boolean {
    const e = this.entries.get(id);
    if (!e || e.spec.enabled === enabled) return false;
    e.spec = { ...e.spec, enabled };
    return true;
  }

  /** Every checker leaves (stop). */
  clear(): void {
    for (const id of [...this.entries.keys()]) this.remove(id);
  }

  state(id: string): CheckerState | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    return { up: e.timer.isUp, retries: e.timer.retryIt, curWeight: e.curWeight, running: !!e.inFlight };
  }

  private entry(spec: CheckerSpec): Entry {
    const timer = new CheckerTimer(flavourOf(spec.type), spec.timing);
    return { spec, timer, timers: new TimerTable(), curWeight: 0 };
  }

  // ---------------------------------------------------------------------------
  // inputs

  /** A probe answered. Results of attempts that are no longer current are dropped. */
  handleResult(id: string, attempt: number, result: ProbeResult, now: number): void {
    const e = this.entries.get(id);
    if (!e?.inFlight || e.inFlight.attempt !== attempt) return;
    this.finish(e, result, now);
  }

  handleTimeout(now: number): void {
    for (let top = this.heap[0]; top !== undefined && top.t <= now; top = this.heap[0]) {
      this.pop();
      if (!this.live(top)) continue;
      top.entry.queued = undefined;
      for (const kind of top.entry.timers.expire(now)) {
        if (kind === "run") this.launch(top.entry, now);
        else this.watchdog(top.entry, now);
      }
      this.queue(top.entry);
    }
  }

  // ---------------------------------------------------------------------------
  // outputs

  pollActions(): Action[] {
    const a = this.out;
    this.out = [];
    return a;
  }

  pollTimeout(): number | undefined {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.live(top)) return top.t;
      this.pop();
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------
  // attempts

  /** The run timer fired: probe, or (suspended) keep the rhythm without probing. */
  private launch(e: Entry, now: number): void {
    if (!e.spec.enabled) {
      e.timers.set("run", now + e.spec.timing.delayLoopMs);
      return;
    }
    const attempt = ++this.attempts;
    const url = e.timer.currentUrl;
    e.inFlight = { attempt, url, startedAt: now };
    if (e.spec.watchdogMs !== undefined) e.timers.set("watchdog", now + e.spec.watchdogMs);
    this.out.push({ kind: "run-probe", checker: e.spec.id, attempt, url, retry: e.timer.retryIt > 0 });
  }

  /** The probe outlived its watchdog: abort it and fail the attempt as a timeout. */
  private watchdog(e: Entry, now: number): void {
    const f = e.inFlight;
    if (!f) return;
    this.out.push({ kind: "abort-probe", checker: e.spec.id, attempt: f.attempt });
    const reason = `${e.spec.type} gave no result within ${e.spec.watchdogMs} ms`;
    this.finish(e, { ok: false, timeout: true, reason }, now);
  }

  /** One attempt's result through the family's epilog (schedule.ts), then the next run armed. */
  private finish(e: Entry, result: ProbeResult, now: number): void {
    const f = e.inFlight;
    if (!f) return;
    e.inFlight = undefined;
    e.timers.stop("watchdog");
    const id = e.spec.id;
    if (result.ok && result.weight !== undefined) this.dynamicWeight(e, result.weight);
    const o = e.timer.result(result.ok, e.spec.logAllFailures);
    const up = e.timer.isUp;
    const { attempt, url } = f;
    const ms = now - f.startedAt;
    this.out.push({ kind: "checked", checker: id, attempt, url, ms, result, up, lines: o.lines, retries: o.retries });
    if (o.change === "down" && e.curWeight) {
      // check_misc.c: the final failure takes back the weight misc_dynamic gave
      this.out.push({ kind: "weight", checker: id, delta: -e.curWeight });
      e.curWeight = 0;
      e.lastExit = undefined;
    }
    if (o.change || o.firstNotify) {
      const reason = stateReason(result, o.change, o.retries);
      this.out.push({ kind: "checker-state", checker: id, up, firstNotify: o.firstNotify, reason });
    }
    // keepalived times the next run from the epilog; MISC_CHECK from the last start
    const next = o.fromStart ? Math.max(now + 1, f.startedAt + o.delay) : now + o.delay;
    this.arm(e, "run", next);
  }

  /** misc_dynamic: exit status - 2 is the weight; only a new value moves it (update_svr_wgt). */
  private dynamicWeight(e: Entry, weight: number): void {
    if (weight === e.lastExit) return;
    const cur = weight - e.spec.baseWeight;
    this.out.push({ kind: "weight", checker: e.spec.id, delta: cur - e.curWeight });
    e.curWeight = cur;
    e.lastExit = weight;
  }

  private abort(e: Entry): void {
    const f = e.inFlight;
    if (f) this.out.push({ kind: "abort-probe", checker: e.spec.id, attempt: f.attempt });
    e.inFlight = undefined;
    e.timers.stop("run");
    e.timers.stop("watchdog");
  }

  // ---------------------------------------------------------------------------
  // the deadline heap

  private arm(e: Entry, kind: TimerKind, t: number): void {
    e.timers.set(kind, t);
    this.queue(e);
  }

  /** Queue the entry's earliest deadline (after any change to its table). */
  private queue(e: Entry): void {
    const t = e.timers.next();
    if (t === NOT_ARMED) {
      e.queued = undefined;
      return;
    }
    const h = this.heap;
    let i = h.length;
    e.queued = this.seq++;
    h.push({ t, seq: e.queued, entry: e });
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  /** A heap entry counts while its checker is still here and it is the checker's latest one. */
  private live(top: { seq: number; entry: Entry }): boolean {
    return this.entries.get(top.entry.spec.id) === top.entry && top.entry.queued === top.seq;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Earlier deadline first; equal deadlines in the order they were armed (deterministic). */
function before(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

function stateReason(result: ProbeResult, change: "up" | "down" | undefined, retries: number): StateReason {
  if (result.ok) return { code: "probe-succeeded" };
  return change === "down" ? { code: "probe-failed", retries, result } : { code: "initial-failure", result };
}
