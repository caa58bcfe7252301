/**
 * One host of a segment as lint sees it: its configuration model with the origins of its
 * blocks, and for each vrrp_instance the settings the engine resolves
 * (src/vrrp/params.ts) and the priority it runs with, healthy and with each tracker
 * failed, computed by keel's own tracker board (src/vrrp/track-board.ts) so that lint
 * and the daemon never disagree about a priority.
 */
import type { Diagnostics, SourceLoc } from "../config/diagnostics";
import type { KeelConfig } from "../config/model";
import type { Origins } from "../config/origins";
import type { VrrpInstance, VrrpSyncGroup } from "../config/vrrp/model";
import { Instance } from "../vrrp/instance";
import { type InstanceParams, instanceParams } from "../vrrp/params";
import { type TrackChange, TrackerBoard } from "../vrrp/track-board";
import { type TrackKind, effectivePriority } from "../vrrp/tracking";

export interface LintHost {
  /** how findings name the host: the -i id, else the file */
  name: string;
  file: string;
  config: KeelConfig;
  origins: Origins;
  diagnostics: Diagnostics;
}

/** What one tracker of an instance does when it fails, the others staying healthy. */
export interface TrackerEffect {
  kind: TrackKind;
  name: string;
  /** the track_* line of the instance (or of its sync group) */
  at: SourceLoc;
  /** what it adds while healthy */
  healthy: number;
  /** what it adds while failed; undefined when failing puts the instance in FAULT */
  failed: number | undefined;
}

export interface InstanceView {
  host: LintHost;
  v: VrrpInstance;
  p: InstanceParams;
  at: SourceLoc;
  /** effective priority with every tracker healthy (255 for the owner) */
  nominal: number;
  /** the trackers' sum with every tracker healthy (keepalived's total_priority − base) */
  delta: number;
  /** the trackers whose failure changes the priority or faults the instance */
  trackers: TrackerEffect[];
}

/** Where `o` was declared, else the host's file. */
export function locOf(host: LintHost, o: object | undefined): SourceLoc {
  return (o && host.origins.get(o)) || { file: host.file, line: 1, col: 1 };
}

/** The instances that track one object (kind and name). */
interface Users {
  kind: TrackKind;
  name: string;
  views: InstanceView[];
}

/**
 * The instances of a host with their priorities. track_file is left out of the failure
 * analysis: its value is a number the file holds, not a failure; its healthy value is 0.
 * Each tracked object is failed once for all the instances that track it (an interface
 * tracked by 2,000 instances is not failed 2,000 times).
 */
export function instanceViews(host: LintHost): InstanceView[] {
  const { config } = host;
  // no instance, nothing to say: and a file of 200,000 unused vrrp_scripts (bench/config)
  // builds no tracker board for `keel -t`
  if (Object.keys(config.vrrpInstances).length === 0) return [];
  const params = new Map(Object.values(config.vrrpInstances).map((v) => [v.name, instanceParams(config, v)]));
  const board = trackerBoard(config, [...params.values()]);
  makeHealthy(board, [...params.keys()]);
  const { views, users } = healthyViews(host, board, params);
  for (const u of users.values()) failOnce(host, board, u);
  return views;
}

/**
 * Every tracked script has passed once (the first result decides); interfaces and
 * processes are up and files read 0: the board's defaults.
 */
function makeHealthy(board: TrackerBoard, instances: string[]): void {
  const scripts = new Set<string>();
  for (const name of instances) for (const l of board.explain(name)) if (l.kind === "script") scripts.add(l.name);
  for (const name of scripts) board.update({ kind: "script", name, ok: true }, 0);
}

function healthyViews(
  host: LintHost,
  board: TrackerBoard,
  params: Map<string, InstanceParams>,
): { views: InstanceView[]; users: Map<string, Users> } {
  const views: InstanceView[] = [];
  const users = new Map<string, Users>();
  for (const v of Object.values(host.config.vrrpInstances)) {
    const healthy = board.explain(v.name);
    const delta = healthy.reduce((sum, l) => sum + l.delta, 0);
    const p = params.get(v.name) as InstanceParams;
    const nominal = p.priority === 255 ? 255 : effectivePriority(p.priority, [delta]);
    const view: InstanceView = { host, v, p, at: locOf(host, v), nominal, delta, trackers: [] };
    views.push(view);
    for (const l of healthy) {
      if (l.kind === "file" || l.kind === "bfd") continue;
      const key = `${l.kind}:${l.name}`;
      const u = users.get(key) ?? { kind: l.kind, name: l.name, views: [] };
      if (u.views.at(-1) !== view) u.views.push(view);
      users.set(key, u);
    }
  }
  return { views, users };
}

/**
 * Fail one object (a script `fall` times), read what each of its instances' lines does
 * then, and heal it again (`rise` times). A line whose failure faults the instance has
 * `failed` undefined.
 */
function failOnce(host: LintHost, board: TrackerBoard, u: Users): void {
  const s = u.kind === "script" ? host.config.vrrpScripts[u.name] : undefined;
  const report = (ok: boolean, times: number) => {
    for (let i = 0; i < times; i++) board.update(change(u.kind, u.name, ok), 0);
  };
  const before = u.views.map((x) => board.explain(x.v.name));
  report(false, s?.fall ?? 1);
  const after = u.views.map((x) => board.explain(x.v.name));
  report(true, s?.rise ?? 1);
  for (const [i, x] of u.views.entries()) {
    const a = after[i] ?? [];
    for (const [j, l] of (before[i] ?? []).entries()) {
      if (l.kind !== u.kind || l.name !== u.name) continue;
      const now = a[j];
      const failed = now === undefined || (now.fault && !l.fault) ? undefined : now.delta;
      if (failed === l.delta) continue;
      x.trackers.push({ kind: l.kind, name: l.name, at: trackAt(host, x.v, l.kind, l.name), healthy: l.delta, failed });
    }
  }
}

/**
 * keel's tracker board for this configuration, as VrrpRouter builds it: an instance
 * belongs to the first sync group that lists it.
 */
function trackerBoard(config: KeelConfig, params: InstanceParams[]): TrackerBoard {
  const instances = params.map((p) => new Instance(p));
  const groupOf = new Map<string, VrrpSyncGroup>();
  for (const g of Object.values(config.vrrpSyncGroups))
    for (const name of g.group) if (config.vrrpInstances[name] && !groupOf.has(name)) groupOf.set(name, g);
  return new TrackerBoard(withTrackedScripts(config), instances, (name) => groupOf.get(name));
}

/**
 * The configuration with only the vrrp_scripts an instance or sync group tracks: a script
 * nobody tracks moves no priority, and the board keeps a tracker per script (200,000
 * unused ones in a huge file cost keel -t 65 MB of peak RSS, measured).
 */
function withTrackedScripts(config: KeelConfig): KeelConfig {
  const tracked: KeelConfig["vrrpScripts"] = Object.create(null);
  for (const t of [...Object.values(config.vrrpInstances), ...Object.values(config.vrrpSyncGroups)])
    for (const r of t.trackScripts) {
      const s = config.vrrpScripts[r.name];
      if (s) tracked[r.name] = s;
    }
  return { ...config, vrrpScripts: tracked };
}

function change(kind: TrackKind, name: string, ok: boolean): TrackChange {
  if (kind === "script") return { kind, name, ok };
  return { kind: kind as "interface" | "process", name, up: ok };
}

/** The track_* line naming `name`, on the instance or its sync group. */
function trackAt(host: LintHost, v: VrrpInstance, kind: TrackKind, name: string): SourceLoc {
  const pick = (t: {
    trackScripts: object[];
    trackInterfaces: object[];
    trackProcesses: object[];
  }): object | undefined => {
    const list = kind === "script" ? t.trackScripts : kind === "interface" ? t.trackInterfaces : t.trackProcesses;
    return list.find((r) => (r as { name: string }).name === name);
  };
  const own = pick(v);
  if (own) return locOf(host, own);
  for (const g of Object.values(host.config.vrrpSyncGroups)) {
    if (!g.group.includes(v.name)) continue;
    const r = pick(g);
    if (r) return locOf(host, r);
  }
  return locOf(host, v);
}

/** The effective priority when the trackers' sum moves from the healthy one by `change`. */
export function priorityWith(view: InstanceView, change: number): number {
  return view.p.priority === 255 ? 255 : effectivePriority(view.p.priority, [view.delta + change]);
}
