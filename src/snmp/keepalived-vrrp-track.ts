/**
 * KEEPALIVED-MIB's VRRP tracking tables beyond the instance's interfaces, scripts and
 * files (keepalived-vrrp.ts): keepalived 2.2.7 vrrp/vrrp_snmp.c, pure.
 *
 *  .14 vrrpSyncTrackedInterfaceTable .14.1.COL.G.K  (a sync group's track_interface)
 *  .15 vrrpSyncTrackedScriptTable    .15.1.COL.G.K
 *  .16 vrrpSyncTrackedFileTable      .16.1.COL.G.K
 *  .17 vrrpTrackedBfdTable           .17.1.COL.I.K  (an instance's track_bfd)
 *  .18 vrrpBfdTable                  .18.1.COL.B    (every bfd_instance)
 *  .19 vrrpSyncTrackedBfdTable       .19.1.COL.G.K
 *  .20 vrrpTrackedProcessTable       .20.1.COL.I.K  (an instance's track_process)
 *  .21 vrrpProcessTable              .21.1.COL.P    (every vrrp_track_process)
 *  .22 vrrpSyncTrackedProcessTable   .22.1.COL.G.K
 *
 * As keepalived, the tracked-file, -bfd and -process rows show the tracked object's own
 * weight (vrrp_snmp_trackedbfd reads bbfd->bfd->weight), the interface and script rows
 * the tracking line's.
 */
import type { KeelConfig } from "../config/model";
import type { TrackProcess, Tracking, VrrpSyncGroup } from "../config/vrrp/model";
import { processQuorum } from "../config/vrrp/tracking";
import type { Status } from "../control/protocol";
import { truth } from "./keepalived-global";
import type { Varbind } from "./mib";

type At = (sub: number[], type: Varbind["type"], value: Varbind["value"]) => void;

interface BfdLike {
  name: string;
  weight?: number;
  weightReverse?: boolean;
}

const bfdsOf = (config: KeelConfig): BfdLike[] => Object.values(config.bfdInstances as Record<string, BfdLike>);

/**
 * vrrp.c vrrp_complete_instance: in a sync group without sync_group_tracking_weight (or
 * for an address owner) a tracked BFD with a weight is dropped.
 */
function instanceBfds(t: Tracking, group: VrrpSyncGroup | undefined, owner: boolean, config: KeelConfig): string[] {
  const byName = new Map(bfdsOf(config).map((b) => [b.name, b]));
  return t.trackBfds
    .filter((r) => {
      const weight = r.weight ?? byName.get(r.name)?.weight ?? 0;
      return !(((group && !group.syncGroupTrackingWeight) || owner) && weight !== 0);
    })
    .map((r) => r.name);
}

/** name / the object's own weight / reverse, in columns first+0..first+2 */
function objectRows(
  at: At,
  table: number,
  first: number,
  row: number,
  names: string[],
  own: (n: string) => { weight: number; reverse: boolean },
): void {
  names.forEach((name, k) => {
    const o = own(name);
    at([table, 1, first, row, k + 1], "OctetString", name);
    at([table, 1, first + 1, row, k + 1], "Integer", o.weight);
    at([table, 1, first + 2, row, k + 1], "Integer", truth(o.reverse));
  });
}

/** keepalived's param_match_t: none(0) exact(1) initial(2) partial(3) */
const PARAM_MATCH: Record<string, number> = { exact: 1, initial: 2, partial: 3 };

/** keepalived keeps the delays in microseconds (TIMER_HZ) */
const micros = (s: number | undefined): number => Math.round((s ?? 0) * 1_000_000);

function processRow(at: At, p: TrackProcess, i: number, result: { ok: boolean; value?: number } | undefined): void {
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([21, 1, c, i], type, value);
  col(2, "OctetString", p.name);
  col(3, "OctetString", p.process ?? "");
  col(4, "OctetString", (p.params ?? []).join(" "));
  col(5, "Integer", p.paramMatch === undefined ? 0 : (PARAM_MATCH[p.paramMatch] ?? 0));
  col(6, "Integer", p.weight);
  col(7, "Integer", truth(p.weightReverse));
  col(8, "Gauge32", processQuorum(p));
  // quorum_max unset is UINT_MAX, which the INTEGER column carries as -1
  col(9, "Integer", p.quorumMax ?? -1);
  col(10, "Gauge32", micros(p.forkDelay));
  col(11, "Gauge32", micros(p.terminateDelay));
  col(12, "Integer", truth(p.fullCommand));
  // num_cur_proc: how many matched when the quorum last changed (keel reports then)
  col(13, "Integer", result?.value ?? 0);
  col(14, "Integer", truth(result?.ok ?? false));
}

/** The tables above, for instances in config order with their sync group. */
export function trackingTables(
  at: At,
  config: KeelConfig,
  status: Status,
  instances: { cfg: Tracking & { priority: number }; group: VrrpSyncGroup | undefined }[],
  groups: VrrpSyncGroup[],
): void {
  const bfds = bfdsOf(config);
  const bfdOwn = (n: string) => {
    const b = bfds.find((x) => x.name === n);
    return { weight: b?.weight ?? 0, reverse: b?.weightReverse ?? false };
  };
  const procs = config.vrrpTrackProcesses;
  const procOwn = (n: string) => ({ weight: procs[n]?.weight ?? 0, reverse: procs[n]?.weightReverse ?? false });
  const files = config.trackFiles;
  const fileOwn = (n: string) => ({ weight: files[n]?.weight ?? 0, reverse: files[n]?.weightReverse ?? false });
  const scriptOwn = config.vrrpScripts;

  groups.forEach((g, gi) => {
    const i = gi + 1;
    g.trackInterfaces.forEach((t, k) => {
      at([14, 1, 1, i, k + 1], "OctetString", t.name);
      at([14, 1, 2, i, k + 1], "Integer", t.weight);
      at([14, 1, 3, i, k + 1], "Integer", truth(t.reverse));
    });
    g.trackScripts.forEach((t, k) => {
      const s = scriptOwn[t.name];
      at([15, 1, 2, i, k + 1], "OctetString", t.name);
      at([15, 1, 3, i, k + 1], "Integer", t.weight ?? s?.weight ?? 0);
      at([15, 1, 4, i, k + 1], "Integer", truth(t.reverse ?? s?.weightReverse ?? false));
    });
    objectRows(
      at,
      16,
      2,
      i,
      g.trackFiles.map((t) => t.name),
      fileOwn,
    );
    objectRows(
      at,
      19,
      2,
      i,
      g.trackBfds.map((t) => t.name),
      bfdOwn,
    );
    objectRows(
      at,
      22,
      2,
      i,
      g.trackProcesses.map((t) => t.name),
      procOwn,
    );
  });

  instances.forEach(({ cfg, group }, ii) => {
    objectRows(at, 17, 2, ii + 1, instanceBfds(cfg, group, cfg.priority === 255, config), bfdOwn);
    objectRows(
      at,
      20,
      2,
      ii + 1,
      cfg.trackProcesses.map((t) => t.name),
      procOwn,
    );
  });

  // vrrpBfdResult: bfd_up as a plain 0/1, not a TruthValue
  const up = new Map((status.bfd ?? []).map((b) => [b.name, b.state === "Up"]));
  bfds.forEach((b, bi) => {
    const o = bfdOwn(b.name);
    at([18, 1, 2, bi + 1], "OctetString", b.name);
    at([18, 1, 3, bi + 1], "Integer", up.get(b.name) ? 1 : 0);
    at([18, 1, 4, bi + 1], "Integer", o.weight);
    at([18, 1, 5, bi + 1], "Integer", truth(o.reverse));
  });

  const results = new Map((status.trackers ?? []).filter((t) => t.kind === "process").map((t) => [t.name, t]));
  Object.values(procs).forEach((p, pi) => processRow(at, p, pi + 1, results.get(p.name)));
}
