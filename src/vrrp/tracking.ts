/**
 * Tracker logic, as keepalived does it: vrrp_script results with rise/fall, track_file
 * values, vrrp_track_process quorum with fork/terminate delays, and how each tracked
 * object moves ONE instance's priority or puts it in FAULT.
 *
 * Sans-I/O (DESIGN.md rule 1): nothing here runs a script, reads a file, watches
 * processes or reads the clock. The runtime does that and feeds the results in
 * (`report(ok)`, `read(bytes)`, `exited(now)`, ...); delays come back as deadlines
 * (`pollTimeout()`) for the caller to schedule.
 *
 * keepalived sources (2.4.x): keepalived/vrrp/vrrp_track.c, vrrp_scheduler.c
 * (vrrp_script_child_thread, vrrp_init_script), vrrp.c (clear_diff_script),
 * keepalived/trackers/track_file.c, keepalived/core/track_process.c,
 * keepalived/core/keepalived_netlink.c (process_if_status_change).
 *
 * keepalived keeps a running sum (vrrp->total_priority) that each tracker change
 * adds to or subtracts from. Here the same rules are written as "what does this
 * tracker contribute in this state" (`contribution`), and the sum is rebuilt from the
 * current states; for every well-formed sequence the two agree. Where keepalived's
 * incremental bookkeeping drifts (bugs noted at the functions below), keel keeps the
 * state-based value.
 */

import { PRIO_OWNER } from "../base/vrrp";

/**
 * A track_file result at or below this puts the instance in FAULT
 * (process_update_vrrp_track_file_status: `new_status == -254`).
 */
export const TRACK_FILE_FAULT = -254;

/** The largest contribution one track_file can make (values above are cut to 253). */
export const TRACK_FILE_MAX = 253;

// ---------------------------------------------------------------------------
// vrrp_script

/**
 * keepalived's script_init_state_t (lib/notify.h):
 * - `init`: not run yet since start (SCRIPT_INIT_STATE_INIT). Weight 0: the instance
 *   waits (vrrp->num_script_init) — it sits in FAULT state without a fault flag and
 *   without a FAULT notify (vrrp_init_state) until every such script has returned once.
 *   Weighted: contributes nothing until the first result.
 * - `init-reload`: added (or changed) at a reload, not run yet (SCRIPT_INIT_STATE_INIT_RELOAD):
 *   no effect at all until the first result (commit 1ebdb277, keepalived 2.2.5).
 * - `failed`: init_fail, not run yet (SCRIPT_INIT_STATE_FAILED): treated as failed.
 * - `done`: has returned at least once (SCRIPT_INIT_STATE_DONE).
 */
export type ScriptInitState = "init" | "init-reload" | "failed" | "done";

/** What the priority/fault rules see: not known yet, or up (OK) / down (KO). */
export type ScriptStatus = "init" | "init-reload" | "up" | "down";

export interface ScriptTrackerOptions {
  /** successes needed to go from KO to OK, >= 1 (vrrp_script `rise`, default 1) */
  rise: number;
  /** failures needed to go from OK to KO, >= 1 (vrrp_script `fall`, default 1) */
  fall: number;
  /**
   * vrrp_script `init_fail`: start as failed (result 0) rather than "not run yet".
   *
   * keepalived quirk: the init_fail handler sets SCRIPT_INIT_STATE_FAILED while the
   * vrrp_script block is parsed, but alloc_track_script() (vrrp_track.c) then sets
   * `vsc->init_state = reload ? INIT_RELOAD : INIT` for every track_script line that
   * names the script, and scripts nobody tracks are discarded (vrrp.c "script %s is
   * not used"). So in keepalived (since at least 2017, still in 2.4.x) init_fail never
   * takes effect. Pass `false` here for bug-for-bug behaviour; `true` gives the
   * documented meaning (vrrp_init_script: "assume failed by config").
   */
  initFail?: boolean;
  /** the script was added (or its command changed) at a reload: SCRIPT_INIT_STATE_INIT_RELOAD */
  reload?: boolean;
}

/**
 * One vrrp_script's result counter (vrrp_script_t.result), shared by every instance
 * that tracks the script.
 *
 * `result` is 0..rise-1 for KO and rise..rise+fall-1 for OK (vrrp_track.h). On success
 * it counts up while KO and jumps to rise+fall-1 once OK; on failure it counts down while
 * OK and drops to 0 once KO — so `rise` consecutive successes are needed to come up and
 * `fall` consecutive failures to go down (vrrp_script_child_thread). Before the first
 * run the counter is rise-1 ("one success is enough", vrrp_init_script) and one failure
 * is enough too: the first result always decides the state.
 *
 * The runtime reports: exit status 0 = success; a non-zero exit, death by a signal,
 * or a timeout (keepalived sends SIGTERM then SIGKILL; "timed_out") = failure.
 */
export class ScriptTracker {
  readonly rise: number;
  readonly fall: number;
  private _result: number;
  private _initState: ScriptInitState;

  constructor(opts: ScriptTrackerOptions) {
    if (!Number.isInteger(opts.rise) || opts.rise < 1)
      throw new RangeError(`rise must be an integer >= 1, got ${opts.rise}`);
    if (!Number.isInteger(opts.fall) || opts.fall < 1)
      throw new RangeError(`fall must be an integer >= 1, got ${opts.fall}`);
    this.rise = opts.rise;
    this.fall = opts.fall;
    // alloc_vrrp_script: reload ? INIT_RELOAD : INIT; vrrp_vscript_init_fail_handler: FAILED
    this._initState = opts.initFail ? "failed" : opts.reload ? "init-reload" : "init";
    // vrrp_init_script: INIT / INIT_RELOAD -> rise - 1 ("one success is enough"); FAILED -> 0
    this._result = this._initState === "failed" ? 0 : this.rise - 1;
  }

  /**
   * A script kept across a reload (same command line, user and group), as
   * clear_diff_script (vrrp.c) carries the old counter over to the new rise/fall:
   * a script still waiting for its first result keeps waiting (INIT stays INIT with
   * result rise-1; INIT_RELOAD stays INIT_RELOAD); otherwise KO stays KO at the same
   * distance below `rise` (0 stays 0) and OK stays OK at the same distance above
   * `rise` (a full counter stays full), clamped to the new range.
   * A script that is new or changed at a reload is `new ScriptTracker({..., reload: true})`.
   */
  static afterReload(previous: ScriptTracker, opts: Pick<ScriptTrackerOptions, "rise" | "fall">): ScriptTracker {
    const t = new ScriptTracker({ rise: opts.rise, fall: opts.fall, reload: true });
    if (previous._initState === "init") {
      t._initState = "init";
      t._result = t.rise - 1;
      return t;
    }
    if (previous._initState === "init-reload") return t;
    const p = previous;
    if (p._result < p.rise) {
      t._result = p._result === 0 ? 0 : Math.max(0, t.rise - (p.rise - p._result));
    } else if (p._result === p.rise + p.fall - 1) {
      t._result = t.rise + t.fall - 1;
    } else {
      t._result = Math.min(t.rise + t.fall - 1, t.rise + (p._result - p.rise));
    }
    t._initState = "done";
    return t;
  }

  /** keepalived's vrrp_script_t.result: 0..rise-1 = KO, rise..rise+fall-1 = OK */
  get result(): number {
    return this._result;
  }

  get initState(): ScriptInitState {
    return this._initState;
  }

  /** result >= rise (keepalived's dump "Status = GOOD"); false before the first run */
  get ok(): boolean {
    return this._result >= this.rise;
  }

  /** the state the priority/fault rules use (see `contribution`) */
  get status(): ScriptStatus {
    if (this._initState === "init" || this._initState === "init-reload") return this._initState;
    return this.ok ? "up" : "down";
  }

  /**
   * One finished run (vrrp_script_child_thread). Returns true when the script's state
   * changed, i.e. when keepalived calls update_script_priorities(): KO→OK, OK→KO, and
   * the first result after `init` / `init-reload` (either way).
   */
  report(ok: boolean): boolean {
    const { rise, fall } = this;
    const top = rise + fall - 1;
    const waiting = this._initState === "init" || this._initState === "init-reload";
    let changed = false;
    if (ok) {
      if (this._result < rise - 1) {
        this._result++;
      } else if (this._result !== top) {
        if (this._result < rise) changed = true; // == rise - 1: KO -> OK
        this._result = top;
      }
    } else if (this._result > rise) {
      this._result--;
    } else {
      if (this._result === rise || waiting) changed = true; // OK -> KO, or the first result
      this._result = 0;
    }
    this._initState = "done";
    return changed;
  }
}

// ---------------------------------------------------------------------------
// track_file

/** The outcome of reading a track_file's contents. */
export type TrackFileRead =
  | { ok: true; value: number }
  | { ok: false; error: { code: "out-of-range"; message: string } };

/** process_track_file reads at most this many bytes (`char buf[128]`, read(sizeof(buf) - 1)). */
export const TRACK_FILE_READ_MAX = 127;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The value of a track_file's contents, as process_track_file (track_file.c) gets it:
 * the first 127 bytes through `strtol(buf, NULL, 0)`. So leading white space and a
 * sign are allowed, `0x..` is hex and a leading `0` octal, parsing stops at the first
 * character that is not a digit ("12abc" = 12), and no digits at all is 0 ("abc",
 * "", "\n"). `null` (cannot open or read, or the file is missing) is 0 as well.
 *
 * A number outside [-2^31, 2^31] (INT32_MIN .. INT32_MAX + 1, keepalived's own bound;
 * beyond the range of a long it is strtol's ERANGE) is ignored: "Invalid number ...
 * - ignoring", the previous value stays. Never throws.
 */
export function parseTrackFileValue(content: Uint8Array | string | null): TrackFileRead {
  if (content === null) return { ok: true, value: 0 };
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  const n = Math.min(bytes.length, TRACK_FILE_READ_MAX);
  let i = 0;
  // isspace() in the C locale
  while (i < n && (bytes[i] === 0x20 || (bytes[i]! >= 0x09 && bytes[i]! <= 0x0d))) i++;
  let negative = false;
  if (i < n && (bytes[i] === 0x2b || bytes[i] === 0x2d)) {
    negative = bytes[i] === 0x2d;
    i++;
  }
  let base = 10;
  if (i < n && bytes[i] === 0x30) {
    if (i + 2 < n && (bytes[i + 1] === 0x78 || bytes[i + 1] === 0x58) && digitValue(bytes[i + 2]!) < 16) {
      base = 16;
      i += 2;
    } else {
      base = 8;
    }
  }
  // magnitude, saturated well past the accepted range (the value is then ignored anyway)
  const cap = 2 ** 40;
  let mag = 0;
  for (; i < n; i++) {
    const d = digitValue(bytes[i]!);
    if (d >= base) break;
    mag = Math.min(cap, mag * base + d);
  }
  const value = negative ? -mag : mag;
  if (value < INT32_MIN || value > INT32_MAX + 1) {
    const shown = mag >= cap ? `${negative ? "-" : ""}(beyond 2^40)` : String(value);
    return { ok: false, error: { code: "out-of-range", message: `Invalid number ${shown} read - ignoring` } };
  }
  return { ok: true, value: value + 0 }; // + 0: no -0
}

function digitValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x7a) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x5a) return b - 0x41 + 10;
  return 99;
}

/**
 * One track_file's last value (tracked_file_t.last_status), shared by every instance
 * tracking it. Starts at 0; at start-up the runtime reads the file if it exists
 * (init_track_files → process_track_file(tfile, true)), after `init_file` has written it.
 * The runtime re-reads on inotify IN_CLOSE_WRITE / IN_MOVED_TO, and calls `removed()` on
 * IN_DELETE / IN_MOVED_FROM ("treat as though the value is 0").
 */
export class TrackFileState {
  private _value: number;

  constructor(initial = 0) {
    this._value = initial;
  }

  get value(): number {
    return this._value;
  }

  /**
   * The file's contents (`null`: cannot be opened or read). Returns true when the value
   * changed (update_track_file_status: same value = nothing happens). An out-of-range
   * number leaves the value as it was (use parseTrackFileValue to log it).
   */
  read(content: Uint8Array | string | null): boolean {
    const r = parseTrackFileValue(content);
    if (!r.ok) return false;
    return this.set(r.value);
  }

  /** The file was deleted or moved away: the value is 0. */
  removed(): boolean {
    return this.set(0);
  }

  private set(v: number): boolean {
    if (v === this._value) return false;
    this._value = v;
    return true;
  }
}

// ---------------------------------------------------------------------------
// vrrp_track_process

export interface ProcessTrackerOptions {
  /** minimum matching processes for quorum (default 1) */
  quorum: number;
  /** maximum matching processes for quorum; undefined = unlimited; 0 = "none may run" (quorum becomes 0) */
  quorumMax?: number;
  /** seconds: after a fork brings quorum, wait this long before acting (fork_delay / delay) */
  forkDelay?: number;
  /** seconds: after an exit loses quorum, wait this long before acting (terminate_delay / delay) */
  terminateDelay?: number;
}

/**
 * One vrrp_track_process's process count and quorum decision (track_process.c),
 * shared by every instance that tracks it. The runtime keeps the pid bookkeeping and
 * tells this tracker, per event, that one matching process came or went and how
 * (the events differ in which delay applies). Quorum = quorum <= count <= quorum_max.
 *
 * keepalived re-evaluates only when the count crosses a boundary (count becomes
 * quorum or quorum_max + 1 going up; leaves quorum or becomes quorum_max going down).
 * Delays are keepalived timer threads, kept here as deadlines: `pollTimeout()` says
 * when to call `handleTimeout(now)`. keepalived keeps one pointer per kind of timer
 * (fork_timer_thread, terminate_timer_thread): arming a second timer of a kind leaves
 * the first one running but no longer cancellable, and any fork timer firing clears
 * the fork pointer. Both quirks are reproduced (every armed timer fires and re-evaluates
 * the quorum from the count at that moment; only the latest can be cancelled).
 */
export class ProcessTracker {
  readonly quorum: number;
  readonly quorumMax: number;
  /** ms */
  readonly forkDelayMs: number;
  /** ms */
  readonly terminateDelayMs: number;
  private _count: number;
  private _up: boolean;
  /** outstanding fork timers' deadlines, in the order armed (= firing order) */
  private forkTimers: number[] = [];
  /** tpr->fork_timer_thread != NULL: the last armed fork timer can be cancelled */
  private forkRef = false;
  private termTimers: number[] = [];
  private termRef = false;

  /**
   * `initialCount`: matching processes found by the start-up scan (read_procs).
   * initialise_process_tracking_priorities sets have_quorum from it directly, no delay.
   */
  constructor(opts: ProcessTrackerOptions, initialCount = 0) {
    // vrrp_tprocess_quorum_max_handler: quorum_max 0 sets quorum 0; unset = UINT_MAX
    this.quorumMax = opts.quorumMax ?? Number.POSITIVE_INFINITY;
    this.quorum = this.quorumMax === 0 ? 0 : opts.quorum;
    this.forkDelayMs = (opts.forkDelay ?? 0) * 1000;
    this.terminateDelayMs = (opts.terminateDelay ?? 0) * 1000;
    this._count = initialCount;
    this._up = this.inQuorum(initialCount);
  }

  /** num_cur_proc */
  get count(): number {
    return this._count;
  }

  /** have_quorum: the state instances see */
  get up(): boolean {
    return this._up;
  }

  /** quorum <= n <= quorum_max */
  inQuorum(n: number): boolean {
    return n >= this.quorum && n <= this.quorumMax;
  }

  /**
   * A process started matching: an exec into a matching command, or a rename to a
   * matching name (check_process → add_process). Never delayed; a pending terminate
   * timer is cancelled. Returns true when the quorum state changed.
   */
  matched(_now: number): boolean {
    this._count++;
    if (this._count === this.quorum || this._count === this.quorumMax + 1) {
      if (this.termRef) this.cancelTerm();
      return this.update(this._count === this.quorum);
    }
    return false;
  }

  /**
   * A tracked process forked (check_process_fork; the child counts for the same
   * trackers). If this gains quorum: a pending terminate timer is cancelled and the
   * state updates now; otherwise, with fork_delay, a timer is armed (see `pollTimeout`).
   */
  forked(now: number): boolean {
    this._count++;
    if (this._count === this.quorum || this._count === this.quorumMax + 1) {
      if (this.termRef) this.cancelTerm();
      else if (this.forkDelayMs > 0) {
        this.forkTimers.push(now + this.forkDelayMs);
        this.forkRef = true;
        return false;
      }
      return this.update(this._count === this.quorum);
    }
    return false;
  }

  /**
   * A tracked process exited (check_process_termination). If this loses quorum: a
   * pending fork timer is cancelled and the state updates now; otherwise, with
   * terminate_delay, a timer is armed.
   */
  exited(now: number): boolean {
    if (this._count === 0) return false;
    const before = this._count--;
    if (before === this.quorum || this._count === this.quorumMax) {
      if (this.forkRef) this.cancelFork();
      else if (this.terminateDelayMs > 0) {
        this.termTimers.push(now + this.terminateDelayMs);
        this.termRef = true;
        return false;
      }
      return this.update(this._count === this.quorumMax);
    }
    return false;
  }

  /**
   * A tracked process stopped matching without exiting: renamed (PROC_EVENT_COMM,
   * check_process_comm_change) or exec'd into something else (remove_process_from_track).
   * Never delayed; a pending fork timer is cancelled.
   */
  unmatched(_now: number): boolean {
    if (this._count === 0) return false;
    const before = this._count--;
    if (before === this.quorum || this._count === this.quorumMax) {
      if (this.forkRef) this.cancelFork();
      return this.update(this._count === this.quorumMax);
    }
    return false;
  }

  /**
   * The process list was re-read from scratch because events were lost (ENOBUFS:
   * reinitialise_track_processes). The cancellable timers are cancelled whatever the
   * count; if the count moved across a quorum boundary, the new state applies after
   * fork_delay (gained) / terminate_delay (lost), or at once.
   *
   * keepalived calls process_update_track_process_status() directly here, without
   * updating have_quorum, so a later crossing can apply the same weight twice; keel
   * updates the state like every other path (no double counting).
   */
  resync(count: number, now: number): boolean {
    const before = this._count;
    this._count = count;
    if (this.forkRef) this.cancelFork();
    if (this.termRef) this.cancelTerm();
    if (before === count) return false;
    if (before < this.quorum === count < this.quorum && before > this.quorumMax === count > this.quorumMax)
      return false;
    if (this.inQuorum(count)) {
      if (this.forkDelayMs > 0) {
        this.forkTimers.push(now + this.forkDelayMs);
        this.forkRef = true;
        return false;
      }
      return this.update(true);
    }
    if (this.terminateDelayMs > 0) {
      this.termTimers.push(now + this.terminateDelayMs);
      this.termRef = true;
      return false;
    }
    return this.update(false);
  }

  /** The earliest pending delay deadline (ms), if any. */
  pollTimeout(): number | undefined {
    const t = Math.min(this.forkTimers[0] ?? Number.POSITIVE_INFINITY, this.termTimers[0] ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(t) ? t : undefined;
  }

  /**
   * Fire every timer due at `now`, earliest first (process_gained_quorum_timer_thread /
   * process_lost_quorum_timer_thread): each sets the state from the count at that time
   * and clears its kind's pointer. Returns true when the quorum state changed.
   */
  handleTimeout(now: number): boolean {
    const start = this._up;
    for (;;) {
      const f = this.forkTimers[0];
      const t = this.termTimers[0];
      const fork = f !== undefined && f <= now && (t === undefined || f <= t);
      const term = !fork && t !== undefined && t <= now;
      if (!fork && !term) break;
      if (fork) {
        this.forkTimers.shift();
        this.forkRef = false;
      } else {
        this.termTimers.shift();
        this.termRef = false;
      }
      this.update(this.inQuorum(this._count));
    }
    return this._up !== start;
  }

  /** update_process_status: nothing happens when the state is unchanged */
  private update(nowUp: boolean): boolean {
    if (nowUp === this._up) return false;
    this._up = nowUp;
    return true;
  }

  private cancelFork(): void {
    this.forkTimers.pop();
    this.forkRef = false;
  }

  private cancelTerm(): void {
    this.termTimers.pop();
    this.termRef = false;
  }
}

// ---------------------------------------------------------------------------
// contribution to one instance

/** The state of each kind of tracked object, as `contribution` takes it. */
export interface TrackerStates {
  /** ScriptTracker.status */
  script: ScriptStatus;
  /** TrackFileState.value */
  file: number;
  /**
   * IF_FLAGS_UP: IFF_UP and IFF_RUNNING both set (vrrp_if.h FLAGS_UP); for a VMAC/ipvlan,
   * keepalived also requires the base interface to be up (IF_ISUP).
   */
  interface: boolean;
  /** ProcessTracker.up (have_quorum) */
  process: boolean;
  /** the bfd_instance is UP; false until the first BFD event (alloc_vrrp_tracked_bfd: bfd_up = false) */
  bfd: boolean;
}

export type TrackKind = keyof TrackerStates;

/** A track line's weight as written on the instance (TrackRef, TrackInterface). */
export interface TrackWeightRef {
  weight?: number;
  reverse?: boolean;
}

/** The tracked object's own default weight (VrrpScript, TrackFile, TrackProcess, bfd_instance). */
export interface TrackerDefaults {
  weight: number;
  weightReverse: boolean;
}

export interface TrackWeight {
  weight: number;
  reverse: boolean;
}

/**
 * The weight one instance uses for one tracked object: alloc_track_script,
 * vrrp_alloc_track_file, alloc_track_process, alloc_track_bfd start from the object's
 * weight and weight_reverse and replace them with the line's `weight N` and its
 * `reverse` / `noreverse`. `weight N` without a reverse word keeps the object's
 * reverse flag. No defaults (track_interface) = weight 0, no reverse.
 */
export function resolveTrackWeight(ref: TrackWeightRef, own?: TrackerDefaults): TrackWeight {
  return { weight: ref.weight ?? own?.weight ?? 0, reverse: ref.reverse ?? own?.weightReverse ?? false };
}

export interface Contribution {
  /** added to the instance's base priority (keepalived total_priority) */
  delta: number;
  /** the instance must be in FAULT because of this tracker (VRRP_FAULT_FL_TRACKER / interface down) */
  fault: boolean;
  /**
   * the instance waits for this tracker's first result (a weight-0 script in `init`,
   * vrrp->num_script_init): it is held in FAULT state but this is not a fault — no fault
   * flag, no FAULT notify — and a sync group with such a member stays in INIT
   * (sync->num_member_init). Leaving it needs every waiting script to have reported.
   */
  init: boolean;
}

const NONE: Contribution = { delta: 0, fault: false, init: false };

/**
 * What one tracked object in `state` does to one instance, with the instance's line
 * (`ref`) overriding the object's default weight (`own`) as resolveTrackWeight does.
 *
 * Weight 0 (unweighted): no priority change; FAULT while the object is down
 * (script failing, process without quorum, interface or BFD down, track_file value
 * non-zero). `reverse` flips which state is the fault: FAULT while up (file: while 0).
 *
 * Weighted script / interface / process / bfd (m = -1 with reverse, else 1):
 *   up:   weight > 0 → +weight·m, else 0
 *   down: weight < 0 → +weight·m, else 0
 * (initialise_track_script_state, initialise_interface_tracking_priorities,
 * initialise_process_tracking_priorities, initialise_track_bfd_state; the update paths
 * process_script_update_priority, process_if_status_change,
 * process_update_track_process_status and the BFD thread move between these values
 * by ±|weight|·m.) So a positive weight adds while up, a negative weight subtracts
 * while down; with reverse a positive weight subtracts while up and a negative weight
 * adds while down.
 *
 * Weighted track_file: value·weight·m, saturated to 32 bits (weight_range) then cut
 * to at most 253; at or below -254 the instance is in FAULT (and the file adds
 * nothing). (update_track_file_status, process_update_vrrp_track_file_status.)
 *
 * Scripts not run yet: `init` adds nothing; unweighted it holds the instance (`init`).
 * `init-reload` has no effect at all until its first result.
 *
 * keepalived quirks not reproduced (keel keeps these state-based values):
 * - initialise_track_script_state ignores `reverse` for a script that already has a
 *   result when the instance starts (a reload carrying the script over, or init_fail):
 *   it adds +weight / weight without the multiplier, and later changes apply ±|w|·m.
 * - initialise_vrrp_file_tracking_priorities and the "previous status" in
 *   process_update_vrrp_track_file_status multiply in 64 bits and truncate to a C int
 *   instead of saturating, so a product beyond ±2^31 (e.g. value 2147483648 × 1, or
 *   10000000 × 254) can wrap negative — FAULT at start-up, or a lost adjustment.
 */
export function contribution<K extends TrackKind>(
  kind: K,
  state: TrackerStates[K],
  ref: TrackWeightRef,
  own?: TrackerDefaults,
): Contribution {
  const w = resolveTrackWeight(ref, own);
  const m = w.reverse ? -1 : 1;
  switch (kind) {
    case "file":
      return fileContribution(state as number, w);
    case "script": {
      const s = state as ScriptStatus;
      if (s === "init-reload") return NONE;
      if (s === "init") return w.weight === 0 ? { delta: 0, fault: false, init: true } : NONE;
      return upDown(s === "up", w.weight, m);
    }
    default:
      return upDown(state as boolean, w.weight, m);
  }
}

function upDown(up: boolean, weight: number, m: number): Contribution {
  // weight 0: `if (up != (multiplier == 1)) down_instance()`
  if (weight === 0) return { delta: 0, fault: up !== (m === 1), init: false };
  if (up) return { delta: weight > 0 ? weight * m : 0, fault: false, init: false };
  return { delta: weight < 0 ? weight * m : 0, fault: false, init: false };
}

function fileContribution(value: number, w: TrackWeight): Contribution {
  const status = trackFileStatus(value, w);
  if (status <= TRACK_FILE_FAULT) return { delta: 0, fault: true, init: false };
  return { delta: Math.min(status, TRACK_FILE_MAX), fault: false, init: false };
}

/**
 * A track_file's status for one instance, as keepalived computes it and writes it in
 * "(%s): entering FAULT state (tracked file %s has status %i)" (vrrp_track.c
 * initialise_vrrp_file_tracking_priorities, and the "previous status" of track_file.c
 * process_update_vrrp_track_file_status): value × weight × multiplier, the multiplier
 * -1 with `reverse`; weight 0: -254 when the value says fault ("a non-zero value means
 * failure, a 0 status means success", reverse flips it), else 0. At or below -254 the
 * instance is in FAULT. Not cut to -254..253 (the start-up line writes it whole), but
 * saturated to 32 bits where keepalived's C int wraps (see contribution).
 */
export function trackFileStatus(value: number, w: TrackWeight): number {
  const m = w.reverse ? -1 : 1;
  if (w.weight === 0) return (value !== 0) === (m === 1) ? TRACK_FILE_FAULT : 0;
  return Math.max(INT32_MIN, Math.min(INT32_MAX, value * w.weight * m)) + 0;
}

/**
 * The same status as update_track_file_status hands to process_update_vrrp_track_file_status
 * on a change: cut to -254..253, so -254 is FAULT and anything else a priority delta.
 */
export function trackFileUpdateStatus(value: number, w: TrackWeight): number {
  return Math.max(TRACK_FILE_FAULT, Math.min(TRACK_FILE_MAX, trackFileStatus(value, w)));
}

// ---------------------------------------------------------------------------
// priority

/** keepalived's total_priority: base priority plus every tracker's delta, unclamped. */
export function totalPriority(base: number, deltas: Iterable<number>): number {
  let total = base;
  for (const d of deltas) total += d;
  return total;
}

/**
 * vrrp_set_effective_priority: the address owner (base 255) never changes; everyone
 * else gets the total clamped to 1..254.
 */
export function effectivePriority(base: number, deltas: Iterable<number>): number {
  if (base === PRIO_OWNER) return PRIO_OWNER;
  const total = totalPriority(base, deltas);
  if (total < 1) return 1;
  if (total >= PRIO_OWNER) return PRIO_OWNER - 1;
  return total;
}
