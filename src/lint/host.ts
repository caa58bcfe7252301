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
import type { VrrpInstance } from "../config/vrrp/model";
import type { InstanceParams } from "../vrrp/params";
import { VrrpRouter } from "../vrrp/router";
import type { TrackChange } from "../vrrp/track-board";
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

/**
 * The instances of a host with their priorities. track_file is left out of the failure
 * analysis: its value is a number the file holds, not a failure; its healthy value is 0.
 */
export function instanceViews(host: LintHost): InstanceView[] {
  const router = new VrrpRouter(host.config);
  const board = router.board;
  const scripts = host.config.vrrpScripts;
  const report = (c: TrackChange, times = 1) => {
    for (let i = 0; i < times; i++) board.update(c, 0);
  };
  // healthy: every script has passed once (the first result decides), interfaces and
  // processes are up (the board's default), files read 0 (its default)
  for (const s of Object.values(scripts)) report({ kind: "script", name: s.name, ok: true });
  const views: InstanceView[] = [];
  for (const v of Object.values(host.config.vrrpInstances)) {
    const inst = router.instances.get(v.name);
    if (!inst) continue;
    const p = inst.p;
    const owner = p.priority === 255;
    const prio = (delta: number) => (owner ? 255 : effectivePriority(p.priority, [delta]));
    const now = board.evaluate(v.name);
    const lines = board.explain(v.name);
    const trackers: TrackerEffect[] = [];
    for (const [i, l] of lines.entries()) {
      if (l.kind === "file" || l.kind === "bfd") continue;
      const fail = failChange(l.kind, l.name, false);
      const heal = failChange(l.kind, l.name, true);
      const s = scripts[l.name];
      report(fail, l.kind === "script" ? (s?.fall ?? 1) : 1);
      const after = board.explain(v.name)[i];
      const faulted = board.evaluate(v.name).faults.size > now.faults.size;
      report(heal, l.kind === "script" ? (s?.rise ?? 1) : 1);
      if (!after) continue;
      const failed = faulted ? undefined : after.delta;
      if (failed === l.delta) continue;
      trackers.push({ kind: l.kind, name: l.name, at: trackAt(host, v, l.kind, l.name), healthy: l.delta, failed });
    }
    views.push({ host, v, p, at: locOf(host, v), nominal: prio(now.delta), delta: now.delta, trackers });
  }
  return views;
}

function failChange(kind: TrackKind, name: string, ok: boolean): TrackChange {
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
