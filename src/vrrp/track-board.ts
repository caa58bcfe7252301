/**
 * The state of every tracked object of one host (scripts, files, interfaces,
 * processes, BFD sessions) and what it does to each instance: a priority delta and a
 * set of fault reasons. The rules themselves are in tracking.ts (keepalived
 * vrrp_track.c); this board only keeps the states and knows who tracks what.
 */
import { valuesOf } from "../base/values";
import type { KeelConfig } from "../config/model";
import type { TrackRef, Tracking, VrrpSyncGroup } from "../config/vrrp/model";
import { staticTrackInterfaces } from "../config/vrrp/static-track";
import type { Fault, TrackerShare } from "./cause";
import type { Instance } from "./instance";
import {
  type Contribution,
  ScriptTracker,
  TrackFileState,
  type TrackKind,
  type TrackerDefaults,
  contribution,
  resolveTrackWeight,
  trackFileStatus,
  trackFileUpdateStatus,
} from "./tracking";

/** A tracker's new observation, as the runtime (or the simulator) reports it. */
export type TrackChange =
  | { kind: "script"; name: string; ok: boolean }
  | { kind: "file"; name: string; value: number }
  | { kind: "interface"; name: string; up: boolean }
  /** value: how many processes matched (KEEPALIVED-MIB vrrpProcessCurProc) */
  | { kind: "process"; name: string; up: boolean; value?: number }
  | { kind: "bfd"; name: string; up: boolean };

interface Line {
  kind: TrackKind;
  name: string;
  weight?: number;
  reverse?: boolean;
}

export class TrackerBoard {
  readonly scripts = new Map<string, ScriptTracker>();
  readonly files = new Map<string, TrackFileState>();
  readonly interfaces = new Map<string, boolean>();
  readonly processes = new Map<string, boolean>();
  readonly bfds = new Map<string, boolean>();
  /** instance name → the lines it tracks */
  private readonly lines = new Map<string, Line[]>();
  /** "kind:name" → the instances tracking it */
  private readonly watchers = new Map<string, Set<string>>();

  constructor(
    private readonly config: KeelConfig,
    instances: Instance[],
    groupOf: (instance: string) => VrrpSyncGroup | undefined,
  ) {
    for (const s of valuesOf(config.vrrpScripts))
      this.scripts.set(s.name, new ScriptTracker({ rise: s.rise, fall: s.fall, initFail: s.initFail }));
    for (const f of Object.values(config.trackFiles))
      this.files.set(f.name, new TrackFileState(f.initFile?.value ?? 0));
    for (const inst of instances) {
      const own = config.vrrpInstances[inst.name] as Tracking;
      const lines = linesOf(own);
      // keepalived tracks the instance's own interface (weight 0) unless dont_track_primary
      if (inst.p.ifname !== undefined && !config.vrrpInstances[inst.name]?.dontTrackPrimary)
        lines.push({ kind: "interface", name: inst.p.ifname, weight: 0 });
      // a static entry's track_group: its interface, unweighted (config/vrrp/static-track.ts)
      for (const name of staticTrackInterfaces(config, config.globalDefs.defaultInterface, inst.name)) {
        const same = lines.find((l) => l.kind === "interface" && l.name === name);
        if (same) same.weight = 0;
        else lines.push({ kind: "interface", name, weight: 0 });
      }
      const group = groupOf(inst.name);
      // a sync group's own trackers apply to every member
      if (group) lines.push(...linesOf(group));
      const unweighted = inst.isOwner || (group !== undefined && !group.syncGroupTrackingWeight);
      this.lines.set(
        inst.name,
        unweighted ? lines.flatMap((l) => dropWeights(l, inst.isOwner, this.defaultWeight(l))) : lines,
      );
      for (const l of lines) {
        const key = `${l.kind}:${l.name}`;
        const set = this.watchers.get(key) ?? new Set();
        set.add(inst.name);
        this.watchers.set(key, set);
      }
    }
  }

  private defaultWeight(l: Line): number {
    if (l.weight !== undefined) return l.weight;
    if (l.kind === "script") return this.config.vrrpScripts[l.name]?.weight ?? 0;
    if (l.kind === "file") return this.config.trackFiles[l.name]?.weight ?? 1;
    if (l.kind === "process") return this.config.vrrpTrackProcesses[l.name]?.weight ?? 0;
    if (l.kind === "bfd") return bfdDefaults(this.config, l.name)?.weight ?? 0;
    return 0;
  }

  /** Record a change; returns the instances whose priority or faults may have moved. */
  /**
   * Reload: results of trackers that exist in both configurations, unchanged, carry over
   * (keepalived keeps a script's result across a reload unless the script changed).
   */
  carryFrom(prev: TrackerBoard): void {
    for (const [name, t] of prev.scripts) {
      const a = prev.config.vrrpScripts[name];
      const b = this.config.vrrpScripts[name];
      if (a && b && JSON.stringify(a) === JSON.stringify(b)) this.scripts.set(name, t);
    }
    for (const [name, f] of prev.files) {
      const a = prev.config.trackFiles[name];
      const b = this.config.trackFiles[name];
      if (a && b && JSON.stringify(a) === JSON.stringify(b)) this.files.set(name, f);
    }
    for (const [k, v] of prev.interfaces) this.interfaces.set(k, v);
    for (const [k, v] of prev.processes) this.processes.set(k, v);
    for (const [k, v] of prev.bfds) this.bfds.set(k, v);
  }

  update(change: TrackChange, _now: number): string[] {
    let changed = false;
    switch (change.kind) {
      case "script": {
        const t = this.scripts.get(change.name);
        changed = t ? t.report(change.ok) : false;
        break;
      }
      case "file": {
        const f = this.files.get(change.name) ?? new TrackFileState();
        this.files.set(change.name, f);
        changed = f.value !== change.value;
        if (changed) f.read(String(change.value));
        break;
      }
      default: {
        const map =
          change.kind === "interface" ? this.interfaces : change.kind === "process" ? this.processes : this.bfds;
        changed = map.get(change.name) !== change.up;
        map.set(change.name, change.up);
      }
    }
    return changed ? [...(this.watchers.get(`${change.kind}:${change.name}`) ?? [])] : [];
  }

  /** The sum of weights, the faults (typed) and each tracker's share for one instance now. */
  evaluate(instance: string): { delta: number; faults: Fault[]; shares: TrackerShare[] } {
    let delta = 0;
    const faults: Fault[] = [];
    const shares: TrackerShare[] = [];
    for (const l of this.lines.get(instance) ?? []) {
      const c = this.contribution(l);
      delta += c.delta;
      if (c.fault || c.init) faults.push({ kind: c.init ? "init" : l.kind, name: l.name });
      const share = { kind: l.kind, name: l.name, status: this.status(l), weight: this.defaultWeight(l) };
      shares.push({ ...share, delta: c.delta, fault: c.fault || c.init });
    }
    return { delta, faults, shares };
  }

  /**
   * keepalived's status of track_file `file` for one instance now, the reverse flag taken
   * into account (tracking.ts trackFileStatus); undefined when the instance does not track it.
   */
  fileStatus(instance: string, file: string): number | undefined {
    const l = this.fileLine(instance, file);
    return l && trackFileStatus(this.files.get(file)?.value ?? 0, this.fileWeight(l));
  }

  /**
   * Before track_file `file` reads `value`: each instance tracking it whose status moves,
   * with the status before and after as track_file.c update_track_file_status hands them
   * to process_update_vrrp_track_file_status (cut to -254..253; -254 is FAULT).
   */
  fileMoves(file: string, value: number): { instance: string; previous: number; next: number }[] {
    const old = this.files.get(file)?.value ?? 0;
    if (old === value) return [];
    const out: { instance: string; previous: number; next: number }[] = [];
    for (const instance of this.watchers.get(`file:${file}`) ?? []) {
      const l = this.fileLine(instance, file);
      if (!l) continue;
      const w = this.fileWeight(l);
      const previous = trackFileUpdateStatus(old, w);
      const next = trackFileUpdateStatus(value, w);
      if (previous !== next) out.push({ instance, previous, next });
    }
    return out;
  }

  private fileLine(instance: string, file: string): Line | undefined {
    return this.lines.get(instance)?.find((l) => l.kind === "file" && l.name === file);
  }

  private fileWeight(l: Line) {
    return resolveTrackWeight({ weight: l.weight, reverse: l.reverse }, defaults(this.config.trackFiles[l.name]));
  }

  /** Each tracker of one instance and what it does now (status, the TUI's "moved by", explain). */
  explain(instance: string): TrackerShare[] {
    return this.evaluate(instance).shares;
  }

  private status(l: Line): TrackerShare["status"] {
    switch (l.kind) {
      case "script": {
        const s = this.scripts.get(l.name)?.status ?? "init";
        return s === "init-reload" ? "init" : s;
      }
      case "file":
        return this.files.get(l.name)?.value ?? 0;
      case "interface":
        return (this.interfaces.get(l.name) ?? true) ? "up" : "down";
      case "process":
        return (this.processes.get(l.name) ?? true) ? "up" : "down";
      case "bfd":
        return (this.bfds.get(l.name) ?? false) ? "up" : "down";
    }
  }

  private contribution(l: Line): Contribution {
    const ref = { weight: l.weight, reverse: l.reverse };
    switch (l.kind) {
      case "script": {
        const t = this.scripts.get(l.name);
        return t ? contribution("script", t.status, ref, defaults(this.config.vrrpScripts[l.name])) : none;
      }
      case "file":
        return contribution("file", this.files.get(l.name)?.value ?? 0, ref, defaults(this.config.trackFiles[l.name]));
      case "interface":
        // unknown interfaces count as up until the runtime says otherwise
        return contribution("interface", this.interfaces.get(l.name) ?? true, ref);
      case "process":
        return contribution(
          "process",
          this.processes.get(l.name) ?? true,
          ref,
          defaults(this.config.vrrpTrackProcesses[l.name]),
        );
      case "bfd":
        // keepalived: a tracked BFD session is down until its first event
        return contribution("bfd", this.bfds.get(l.name) ?? false, ref, bfdDefaults(this.config, l.name));
    }
  }
}

/**
 * An address owner's priority never moves, and a sync group member's only moves with
 * sync_group_tracking_weight; keepalived (vrrp_complete_instance, sync_group_tracking_init)
 * then drops weighted scripts and BFDs, turns a track_file of weight 1 into weight 0 and
 * drops other weighted files, and makes interfaces weight 0 (an owner drops them).
 * Processes are kept as they are.
 */
function dropWeights(l: Line, owner: boolean, weight: number): Line[] {
  if (weight === 0) return [l];
  switch (l.kind) {
    case "script":
    case "bfd":
      return [];
    case "file":
      return weight === 1 ? [{ ...l, weight: 0 }] : [];
    case "interface":
      return owner ? [] : [{ ...l, weight: 0 }];
    default:
      return [l];
  }
}

const none: Contribution = { delta: 0, fault: false, init: false };

function linesOf(t: Tracking): Line[] {
  const ref = (kind: TrackKind) => (r: TrackRef) => ({ kind, name: r.name, weight: r.weight, reverse: r.reverse });
  return [
    ...t.trackScripts.map(ref("script")),
    ...t.trackFiles.map(ref("file")),
    ...t.trackProcesses.map(ref("process")),
    // down until the session's first Up, as keepalived (alloc_vrrp_tracked_bfd): with
    // weight 0 the instance waits in FAULT for its session (src/runtime/bfd-driver.ts)
    ...t.trackBfds.map(ref("bfd")),
    ...t.trackInterfaces.map((i) => ({
      kind: "interface" as const,
      name: i.name,
      weight: i.weight,
      reverse: i.reverse,
    })),
  ];
}

function defaults(o: { weight: number; weightReverse: boolean } | undefined): TrackerDefaults | undefined {
  return o ? { weight: o.weight, weightReverse: o.weightReverse } : undefined;
}

function bfdDefaults(config: KeelConfig, name: string): TrackerDefaults | undefined {
  const b = (config.bfdInstances as Record<string, { weight?: number; weightReverse?: boolean }>)[name];
  return b ? { weight: b.weight ?? 0, weightReverse: b.weightReverse ?? false } : undefined;
}
