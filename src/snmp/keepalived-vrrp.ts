/**
 * KEEPALIVED-MIB's VRRP part (1.3.6.1.4.1.9586.100.5.2, `vrrp`), pure: keepalived 2.2.7
 * vrrp/vrrp_snmp.c vrrp_vars, table by table, with keepalived's values:
 *
 *   .1 vrrpSyncGroupTable        .1.1.COL.G        (G: sync group in config order)
 *   .2 vrrpSyncGroupMemberTable  .2.1.2.G.M
 *   .3 vrrpInstanceTable         .3.1.COL.I        (I: instance in config order)
 *   .4 vrrpTrackedInterfaceTable .4.1.COL.I.K
 *   .5 vrrpTrackedScriptTable    .5.1.COL.I.K
 *   .6 vrrpAddressTable          .6.1.COL.I.K      (I 0: static_ipaddress; virtual_ipaddress, then _excluded)
 *   .7/.8/.11 routes, rules, next hops: keepalived-vrrp-routes.ts
 *   .9 vrrpScriptTable           .9.1.COL.S        (the vrrp_scripts in use)
 *  .12 vrrpTrackedFileTable      .12.1.COL.I.K
 *  .13 vrrpFileTable             .13.1.COL.F       (the vrrp_track_files in use)
 *  .14-.22 the sync groups' tracked objects, tracked BFDs and processes: keepalived-vrrp-track.ts
 *   .10.0.1/.2 the two notifications
 *
 * The writable objects (base priority, preempt, accept): src/snmp/write-vrrp.ts.
 *
 * keepalived's sync-group rule (vrrp.c vrrp_complete_instance): in a sync group without
 * sync_group_tracking_weight a tracked interface's weight is ignored (served as 0) and a
 * tracked script with a weight is dropped, and a vrrp_script no one tracks then is not
 * in the script table.
 */
import { parseIp, parseIpv4 } from "../base/ip";
import { splitCommand } from "../base/command";
import type { KeelConfig } from "../config/model";
import type { Script } from "../config/script";
import { lvsSyncDaemonOf } from "../config/vrrp/lvs-syncd";
import type { VrrpInstance, VrrpScript, VrrpSyncGroup } from "../config/vrrp/model";
import type { Event, InstanceStatus } from "../control/protocol";
import { routeTables } from "./keepalived-vrrp-routes";
import { trackingTables } from "./keepalived-vrrp-track";
import { KEEPALIVED_OID, ROUTER_ID_OID, routerId, servesV3ChecksumAsV2, truth } from "./keepalived-global";
import { type MibModule, type Notification, type Oid, type SnmpSource, type Varbind, compareOids } from "./mib";
import { vrrpTestSet } from "./write-vrrp";

export const VRRP_OID: Oid = [...KEEPALIVED_OID, 2];

/** vrrpInstanceState: init(0) backup(1) master(2) fault(3) unknown(4) stop(5) deleted(6) */
const STATE_CODE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 5 };
/** The tables show vrrp_snmp_state: anything past fault is unknown(4); traps send stop(5). */
const tableState = (s: string): number => {
  const c = STATE_CODE[s];
  return c !== undefined && c <= 3 ? c : 4;
};
const trapState = (s: string): number => STATE_CODE[s] ?? 4;

/**
 * keepalived's cmd_str_r: every word in single quotes, but a first word starting with <
 * or >; the program as keepalived stored it (SnmpSource.programPath).
 */
export function commandText(s: Script, programPath: (w: string) => string = (w) => w): string {
  return splitCommand(s.command)
    .map((w, i) => {
      if (i > 0) return `'${w}'`;
      return w.startsWith("<") || w.startsWith(">") ? w : `'${programPath(w)}'`;
    })
    .join(" ");
}

/** core/snmp.c snmp_scope: Linux scope → InetScopeType */
function inetScope(scope: string | undefined, address: string, family: 4 | 6): number {
  const named: Record<string, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };
  let n = scope === undefined ? 0 : (named[scope] ?? Number(scope));
  if (scope === undefined && family === 6 && address.toLowerCase().startsWith("fe80")) n = 253;
  const map: Record<number, number> = { 0: 14, 255: 0, 254: 1, 253: 2, 200: 5 };
  return map[n] ?? 0;
}

function broadcast(a: { address: string; prefix: number; broadcast?: string }): Uint8Array {
  const zero = new Uint8Array(4);
  if (a.broadcast === undefined || a.broadcast === "-") return zero;
  if (a.broadcast === "+") {
    const b = parseIpv4(a.address) ?? zero;
    const host = a.prefix >= 32 ? 0 : 0xffffffff >>> a.prefix;
    const n = (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]! | host;
    return Uint8Array.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  }
  return parseIpv4(a.broadcast) ?? zero;
}

/**
 * The state the tables show: keel's FAULT held only by weight-0 scripts' first results
 * (faults "init:X") is keepalived's INIT (it waits there, vrrp_track.c
 * initialise_track_script_state), as the traps (waitingForScripts) have it.
 */
function shownState(st: InstanceStatus | undefined): string | undefined {
  if (st?.state === "FAULT" && st.faults.length > 0 && st.faults.every((f) => f.startsWith("init:"))) return "INIT";
  return st?.state;
}

interface Model {
  groups: VrrpSyncGroup[];
  instances: { cfg: VrrpInstance; st: InstanceStatus | undefined; group: VrrpSyncGroup | undefined }[];
  /** per instance (same order): tracked scripts kept after the sync-group rule */
  trackedScripts: { name: string; weight: number; reverse: boolean }[][];
  scripts: VrrpScript[];
}

function model(config: KeelConfig, statuses: readonly InstanceStatus[]): Model {
  const groups = Object.values(config.vrrpSyncGroups);
  const groupOf = new Map<string, VrrpSyncGroup>();
  for (const g of groups) for (const m of g.group) groupOf.set(m, g);
  const byName = new Map(statuses.map((s) => [s.name, s]));
  const instances = Object.values(config.vrrpInstances).map((cfg) => ({
    cfg,
    st: byName.get(cfg.name),
    group: groupOf.get(cfg.name),
  }));
  const allScripts = Object.values(config.vrrpScripts);
  const scriptByName = new Map(allScripts.map((s) => [s.name, s]));
  const used = new Set<string>();
  const trackedScripts = instances.map(({ cfg, group }) =>
    cfg.trackScripts.flatMap((t) => {
      const s = scriptByName.get(t.name);
      const weight = t.weight ?? s?.weight ?? 0;
      if (group && !group.syncGroupTrackingWeight && weight !== 0) return [];
      used.add(t.name);
      return [{ name: t.name, weight, reverse: t.reverse ?? s?.weightReverse ?? false }];
    }),
  );
  for (const g of groups) for (const t of g.trackScripts) used.add(t.name);
  return { groups, instances, trackedScripts, scripts: allScripts.filter((s) => used.has(s.name)) };
}

/**
 * vrrp.c vrrp_complete_instance: an explicit track of the instance's own interface is
 * dropped ("Ignoring track_interface X since own interface"); in a sync group without
 * sync_group_tracking_weight a weight becomes 0; an address owner (priority 255) stops
 * tracking the ones with a weight.
 */
function trackedInterfaces(cfg: VrrpInstance, group: VrrpSyncGroup | undefined): VrrpInstance["trackInterfaces"] {
  return cfg.trackInterfaces
    .filter((t) => t.name !== cfg.interface)
    .flatMap((t) => {
      if (group && !group.syncGroupTrackingWeight) return [{ ...t, weight: 0 }];
      if (cfg.priority === 255 && t.weight !== 0) return [];
      return [t];
    });
}

/** The group's state from its members' (they move together; a fault in one is the group's). */
function groupState(g: VrrpSyncGroup, stateOf: (name: string) => string | undefined): string {
  const states = g.group.map(stateOf).filter((s): s is string => s !== undefined);
  if (states.includes("FAULT")) return "FAULT";
  if (states.length > 0 && states.every((s) => s === states[0])) return states[0] as string;
  return states.includes("MASTER") ? "MASTER" : (states[0] ?? "INIT");
}

function varbinds(source: SnmpSource): Varbind[] {
  const { config, status } = source;
  const m = model(config, status.instances);
  const out: Varbind[] = [];
  const at = (sub: number[], type: Varbind["type"], value: Varbind["value"]) =>
    out.push({ oid: [...VRRP_OID, ...sub], type, value });
  const stateOf = (n: string) => shownState(status.instances.find((s) => s.name === n));
  const g = config.globalDefs;
  const smtpDefault = (own: boolean | undefined) => own ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false;

  m.groups.forEach((grp, gi) => {
    const i = gi + 1;
    at([1, 1, 2, i], "OctetString", grp.name);
    at([1, 1, 3, i], "Integer", tableState(groupState(grp, stateOf)));
    at([1, 1, 4, i], "Integer", truth(smtpDefault(grp.smtpAlert)));
    const scripts = [grp.notifyMaster, grp.notifyBackup, grp.notifyFault, grp.notify, grp.notifyStop];
    at([1, 1, 5, i], "Integer", truth(scripts.some((s) => s !== undefined)));
    scripts.forEach((s, k) => {
      if (s) at([1, 1, [6, 7, 8, 9, 11][k] as number, i], "OctetString", commandText(s, source.programPath));
    });
    at([1, 1, 10, i], "Integer", truth(grp.syncGroupTrackingWeight));
    grp.group.forEach((member, k) => {
      at([2, 1, 2, i, k + 1], "OctetString", member);
    });
  });

  m.instances.forEach(({ cfg, st, group }, ii) => instanceRow(at, source, cfg, st, group, ii + 1, smtpDefault));

  const statics = { virtualIpaddress: config.staticIpaddresses, virtualIpaddressExcluded: [], interface: undefined };
  addressRows(at, source, statics, true, 0);
  m.instances.forEach(({ cfg, group }, ii) => {
    trackedInterfaces(cfg, group).forEach((t, k) => {
      at([4, 1, 1, ii + 1, k + 1], "OctetString", t.name);
      at([4, 1, 2, ii + 1, k + 1], "Integer", t.weight);
      at([4, 1, 3, ii + 1, k + 1], "Integer", truth(t.reverse));
    });
    m.trackedScripts[ii]?.forEach((t, k) => {
      at([5, 1, 2, ii + 1, k + 1], "OctetString", t.name);
      at([5, 1, 3, ii + 1, k + 1], "Integer", t.weight);
      at([5, 1, 4, ii + 1, k + 1], "Integer", truth(t.reverse));
    });
    addressRows(at, source, cfg, stateOf(cfg.name) === "MASTER", ii + 1);
  });

  // vrrpTrackedFileTable shows the vrrp_track_file's own weight, not the instance's
  // override (vrrp_snmp_trackedfile reads bfile->file->weight)
  const files = config.trackFiles;
  m.instances.forEach(({ cfg }, ii) => {
    cfg.trackFiles.forEach((t, k) => {
      const f = files[t.name];
      at([12, 1, 2, ii + 1, k + 1], "OctetString", t.name);
      at([12, 1, 3, ii + 1, k + 1], "Integer", f?.weight ?? 0);
      at([12, 1, 4, ii + 1, k + 1], "Integer", truth(f?.weightReverse ?? false));
    });
  });
  const fileValues = new Map((status.trackers ?? []).filter((t) => t.kind === "file").map((t) => [t.name, t.value]));
  // as the scripts: a vrrp_track_file no instance or group tracks is not kept
  const usedFiles = new Set(
    [...m.instances.map((i) => i.cfg), ...m.groups].flatMap((x) => x.trackFiles.map((t) => t.name)),
  );
  Object.values(files)
    .filter((f) => usedFiles.has(f.name))
    .forEach((f, fi) => {
      const i = fi + 1;
      at([13, 1, 2, i], "OctetString", f.name);
      at([13, 1, 3, i], "OctetString", f.file ?? "");
      // vrrpFileResult: the value last read from the file
      at([13, 1, 4, i], "Integer", fileValues.get(f.name) ?? 0);
      at([13, 1, 5, i], "Integer", f.weight);
      at([13, 1, 6, i], "Integer", truth(f.weightReverse));
    });

  const results = new Map((status.trackers ?? []).filter((t) => t.kind === "script").map((t) => [t.name, t]));
  m.scripts.forEach((s, si) => {
    const i = si + 1;
    at([9, 1, 2, i], "OctetString", s.name);
    at([9, 1, 3, i], "OctetString", s.script ? commandText(s.script, source.programPath) : "");
    at([9, 1, 4, i], "Integer", Math.floor(s.interval));
    at([9, 1, 5, i], "Integer", s.weight);
    // vrrpScriptResult: init(1) bad(2) good(3) initfailed(5)
    const r = results.get(s.name);
    at([9, 1, 6, i], "Integer", r?.at === undefined ? 1 : r.ok ? 3 : 2);
    at([9, 1, 7, i], "Gauge32", s.rise);
    at([9, 1, 8, i], "Gauge32", s.fall);
    at([9, 1, 9, i], "Integer", truth(s.weightReverse));
  });
  trackingTables(at, config, status, m.instances, m.groups);
  routeTables(
    at,
    config,
    m.instances.map((x) => x.cfg),
    (n) => stateOf(n) === "MASTER",
    source.interfaces,
  );
  return out.sort((a, b) => compareOids(a.oid, b.oid));
}

type At = (sub: number[], type: Varbind["type"], value: Varbind["value"]) => void;

function instanceRow(
  at: At,
  source: SnmpSource,
  cfg: VrrpInstance,
  st: InstanceStatus | undefined,
  group: VrrpSyncGroup | undefined,
  i: number,
  smtpDefault: (own: boolean | undefined) => boolean,
): void {
  const g = source.config.globalDefs;
  // the engine's version (src/vrrp/params.ts: vrrp_version, native_ipv6 and the family decide it)
  const version = st?.version ?? cfg.version ?? 2;
  const state = shownState(st) ?? "INIT";
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([3, 1, c, i], type, value);
  col(2, "OctetString", cfg.name);
  col(3, "Gauge32", cfg.virtualRouterId);
  col(4, "Integer", tableState(state));
  col(5, "Integer", cfg.state === "MASTER" ? 2 : 1);
  // wantedState: keel's engine has no separate wanted state; it is the state it is in
  col(6, "Integer", tableState(state));
  // the engine's: an SNMP set (src/snmp/write-vrrp.ts) changes them
  col(7, "Integer", st?.priority ?? cfg.priority);
  col(8, "Integer", st?.effectivePriority ?? cfg.priority);
  col(9, "Integer", truth(state === "MASTER"));
  if (cfg.interface !== undefined) col(10, "OctetString", cfg.interface);
  col(11, "Integer", truth(trackedInterfaces(cfg, group).length > 0));
  // v2 in seconds, v3 in centiseconds
  col(12, "Gauge32", version === 2 ? Math.floor(cfg.advertInt) : Math.round(cfg.advertInt * 100));
  col(13, "Integer", truth(st?.preempt ?? !cfg.nopreempt));
  col(14, "Gauge32", Math.floor(cfg.preemptDelay));
  const auth = cfg.authentication?.authType;
  col(15, "Integer", version === 2 ? (auth === "PASS" ? 1 : auth === "AH" ? 2 : 0) : 0);
  const lvsSyncd = lvsSyncDaemonOf(source.config);
  const syncd = lvsSyncd?.vrrpInstance === cfg.name;
  col(16, "Integer", truth(syncd));
  if (syncd && lvsSyncd) col(17, "OctetString", lvsSyncd.interface);
  if (group) col(18, "OctetString", group.name);
  col(19, "Gauge32", Math.floor(cfg.garpMasterDelay ?? g.vrrpGarpMasterDelay));
  col(20, "Integer", truth(smtpDefault(cfg.smtpAlert)));
  const scripts: [number, Script | undefined][] = [
    [22, cfg.notifyMaster],
    [23, cfg.notifyBackup],
    [24, cfg.notifyFault],
    [25, cfg.notifyStop],
    [26, cfg.notify],
    [31, cfg.notifyMasterRxLowerPri],
    [32, cfg.notifyDeleted?.script],
  ];
  col(21, "Integer", truth(scripts.some(([, s]) => s !== undefined)));
  for (const [c, s] of scripts) if (s) col(c, "OctetString", commandText(s, source.programPath));
  const strict = cfg.strictMode ?? g.vrrpStrict;
  col(27, "Integer", version === 3 ? truth(cfg.accept ?? !strict) : 0);
  col(28, "Integer", truth(cfg.promoteSecondaries));
  col(29, "Integer", truth(cfg.linkbeatUsePolling));
  col(30, "Integer", version);
  col(33, "Integer", truth(cfg.notifyDeleted !== undefined));
  if (cfg.unicastPeers.length === 0) {
    const family = st?.family ?? 4;
    const group4 = cfg.mcastDstIp ?? (family === 4 ? "224.0.0.18" : "ff02::12");
    const ip = parseIp(group4);
    if (ip) {
      col(34, "Integer", ip.family === 4 ? 1 : 2);
      col(35, "OctetString", ip.bytes);
    }
  }
  // vrrp_snmp.c VRRP_SNMP_INSTANCE_V3_CHECKSUM_AS_V2: the instance's flag, set from the
  // global keyword and by its own (any version and family), true(1) or false(2)
  if (servesV3ChecksumAsV2(source.config)) col(36, "Integer", truth(cfg.v3ChecksumAsV2 ?? g.v3ChecksumAsV2));
}

/**
 * The address rows of instance i (I 0: static_ipaddress, as vrrp_header_ar_table walks
 * them first, never advertised and always set once keel started).
 */
function addressRows(
  at: At,
  source: SnmpSource,
  cfg: Pick<VrrpInstance, "virtualIpaddress" | "virtualIpaddressExcluded" | "interface">,
  set: boolean,
  i: number,
): void {
  const rows = [
    ...cfg.virtualIpaddress.map((a) => ({ a, advertised: i > 0 })),
    ...cfg.virtualIpaddressExcluded.map((a) => ({ a, advertised: false })),
  ];
  rows.forEach(({ a, advertised }, k) => {
    const ip = parseIp(a.address);
    if (!ip) return;
    const row = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([6, 1, c, i, k + 1], type, value);
    const dev = a.dev ?? cfg.interface ?? "";
    row(2, "Integer", ip.family === 4 ? 1 : 2);
    row(3, "OctetString", ip.bytes);
    if (ip.family === 4) row(4, "OctetString", broadcast(a));
    row(5, "Gauge32", a.prefix);
    row(6, "Integer", inetScope(a.scope, a.address, ip.family));
    row(7, "Integer", source.interfaces?.get(dev) ?? 0);
    row(8, "OctetString", dev);
    if (a.label !== undefined) row(9, "OctetString", a.label);
    row(10, "Integer", truth(set));
    row(11, "Integer", truth(advertised));
    const peer = a.peer === undefined ? undefined : parseIp(a.peer);
    if (peer) row(12, "OctetString", peer.bytes);
  });
}

/**
 * Whether this member's transition is the one that moves its sync group (one group trap
 * per group transition, as vrrp_sync.c's group notify). The status is read after the
 * engine moved the whole group, so the previous group state is not there to compare:
 * the group trap goes with the last listed member's event once every member is in the
 * new state, or with the first member to go FAULT (a fault in one is the group's).
 */
function groupMoved(group: VrrpSyncGroup, instance: string, to: string, source: SnmpSource): boolean {
  const stateOf = (n: string) => (n === instance ? to : source.status.instances.find((s) => s.name === n)?.state);
  if (to === "FAULT") return group.group.every((n) => n === instance || stateOf(n) !== "FAULT");
  return group.group.every((n) => stateOf(n) === to) && group.group[group.group.length - 1] === instance;
}

/**
 * keel's start into FAULT held only by weight-0 scripts' first results (faults "init:X"):
 * keepalived stays in INIT then (vrrp_track.c initialise_track_script_state counts
 * num_script_init, no state change), so no trap goes out until the scripts move it.
 */
function waitingForScripts(event: Extract<Event, { event: "transition" }>): boolean {
  const faults = event.faults ?? [];
  return (
    event.to === "FAULT" && event.reason === "init" && faults.length > 0 && faults.every((f) => f.startsWith("init:"))
  );
}

/**
 * vrrp_snmp_instance_trap / vrrp_snmp_group_trap: the name, state and (for an instance)
 * initial state objects without an index, then routerId.0. A group's trap follows the
 * instance's that moved the group into the new state.
 */
function notifications(event: Event, source: SnmpSource): Notification[] {
  if (event.event !== "transition" || waitingForScripts(event)) return [];
  const cfg = source.config.vrrpInstances[event.instance];
  if (!cfg) return [];
  const rid = routerId(source) ?? "";
  const out: Notification[] = [
    {
      trapOid: [...VRRP_OID, 10, 0, 2],
      varbinds: [
        { oid: [...VRRP_OID, 3, 1, 2], type: "OctetString", value: event.instance },
        { oid: [...VRRP_OID, 3, 1, 4], type: "Integer", value: trapState(event.to) },
        { oid: [...VRRP_OID, 3, 1, 5], type: "Integer", value: cfg.state === "MASTER" ? 2 : 1 },
        { oid: ROUTER_ID_OID, type: "OctetString", value: rid },
      ],
    },
  ];
  const group = Object.values(source.config.vrrpSyncGroups).find((g) => g.group.includes(event.instance));
  if (group && groupMoved(group, event.instance, event.to, source)) {
    out.push({
      trapOid: [...VRRP_OID, 10, 0, 1],
      varbinds: [
        { oid: [...VRRP_OID, 1, 1, 2], type: "OctetString", value: group.name },
        { oid: [...VRRP_OID, 1, 1, 3], type: "Integer", value: trapState(event.to) },
        { oid: ROUTER_ID_OID, type: "OctetString", value: rid },
      ],
    });
  }
  return out;
}

export const keepalivedVrrp: MibModule = {
  name: "KEEPALIVED-MIB vrrp",
  root: VRRP_OID,
  // vrrp_snmp_agent_init: snmp_register_mib(vrrp_oid, ..., "KEEPALIVED-VRRP")
  description: "The MIB module for KEEPALIVED-VRRP",
  varbinds,
  notifications,
  testSet: (vb, source) => vrrpTestSet(vb.oid.slice(VRRP_OID.length), vb, source),
};
