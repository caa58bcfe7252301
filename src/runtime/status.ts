/** The `status` reply of the control protocol, read from the running engine. */
import pkg from "../../package.json";
import type { Counters, HoldStatus, InstanceStatus, ObservedStatus, Status, TrackerStatus } from "../control/protocol";
import { type Hold, faultKey } from "../vrrp/cause";
import { sharedConfig } from "./config-hash";
import type { Instance } from "../vrrp/instance";
import type { VrrpDriver } from "./vrrp-driver";

const ERROR_KEYS = [
  "packet_len_err",
  "advert_interval_err",
  "ip_ttl_err",
  "invalid_type_rcvd",
  "addr_list_err",
  "invalid_authtype",
  "authtype_mismatch",
  "auth_failure",
  "chk_err",
  "vers_err",
  "vrid_err",
  "auth_ext_missing",
  "auth_ext_malformed",
  "auth_ext_unknown_key",
  "auth_ext_invalid_hmac",
  "auth_ext_stale",
  "auth_ext_replay",
] as const;

export function statusOf(
  driver: VrrpDriver,
  configFile: string,
  startedAt: number,
  last: Map<string, InstanceStatus["lastTransition"]>,
  results: TrackResults = new Map(),
): Status {
  const instances: InstanceStatus[] = [];
  for (const inst of driver.router.instances.values()) {
    const p = inst.p;
    instances.push({
      name: p.name,
      interface: p.ifname,
      vrid: p.vrid,
      family: p.family,
      version: p.version,
      state: inst.state,
      priority: p.priority,
      effectivePriority: inst.effectivePriority,
      master: inst.state === "MASTER" ? p.source : inst.masterAddress,
      vips: p.vips.map((v) => `${v.address}/${v.prefix}`),
      lastTransition: last.get(p.name),
      advertsReceived: inst.stats.advert_rcvd,
      advertsSent: inst.stats.advert_sent,
      errors: ERROR_KEYS.reduce((n, k) => n + inst.stats[k], 0),
      faults: inst.faultList().map(faultKey),
      trackers: driver.router.board
        .explain(p.name)
        .map((t) => ({ kind: t.kind, name: t.name, weight: t.delta, ok: !t.fault })),
      observed: observedOf(driver, p.name),
      config: sharedConfig(p),
      ...holdsOf(inst.holds()),
      ...snmpFacts(driver, inst),
    });
  }
  return {
    version: 1,
    keel: pkg.version,
    pid: process.pid,
    startedAt,
    configFile,
    instances,
    trackers: trackersOf(driver, results),
  };
}

/**
 * The `counters` reply: per instance what changes without an event (the same numbers as
 * statusOf's advertsReceived, advertsSent, errors and master), for a subscriber's poll.
 */
export function countersOf(driver: VrrpDriver, bfd?: readonly { name: string; rx: number; tx: number }[]): Counters {
  const instances: Counters["instances"] = [];
  for (const inst of driver.router.instances.values()) {
    const p = inst.p;
    const master = inst.state === "MASTER" ? p.source : inst.masterAddress;
    instances.push([
      p.name,
      inst.stats.advert_rcvd,
      inst.stats.advert_sent,
      ERROR_KEYS.reduce((n, k) => n + inst.stats[k], 0),
      master ?? null,
    ]);
  }
  const out: Counters = { at: Date.now(), instances };
  if (bfd) out.bfd = bfd.map((b) => [b.name, b.rx, b.tx]);
  return out;
}

/** The last result the runtime saw of each tracker (script runs, file values, links). */
export type TrackResults = Map<string, { ok?: boolean; value?: number; code?: number; ms?: number; at: number }>;

function trackersOf(driver: VrrpDriver, results: TrackResults): TrackerStatus[] {
  const b = driver.router.board;
  const out: TrackerStatus[] = [];
  const add = (kind: TrackerStatus["kind"], name: string, ok: boolean, value?: number) => {
    const r = results.get(`${kind}:${name}`);
    const t: TrackerStatus = { kind, name, ok };
    if (value !== undefined) t.value = value;
    else if (r?.code !== undefined) t.value = r.code;
    if (r) t.at = r.at;
    if (r?.ms !== undefined) t.ms = Math.round(r.ms);
    out.push(t);
  };
  for (const [name, s] of b.scripts) add("script", name, s.status === "up", undefined);
  for (const [name, f] of b.files) add("file", name, true, f.value);
  // a process tracker's value: how many matched at its last quorum change
  for (const [name, up] of b.processes) add("process", name, up, results.get(`process:${name}`)?.value);
  for (const [name, up] of b.interfaces) {
    add("interface", name, up);
    Object.assign(out[out.length - 1] as TrackerStatus, driver.linkWatch(name));
  }
  return out;
}

/** [wire] seen on the wire: a copy, so a status reply never shares the live record. */
function observedOf(driver: VrrpDriver, instance: string): ObservedStatus | undefined {
  const o = driver.observations.status(instance);
  if (!o) return undefined;
  const copy: ObservedStatus = { dualMasters: o.dualMasters };
  if (o.dualMaster) copy.dualMaster = { ...o.dualMaster, ...(o.dualMaster.over && { over: { ...o.dualMaster.over } }) };
  if (o.foreign) copy.foreign = o.foreign.map((f) => ({ ...f }));
  return copy;
}

/** The operators' holds (keel switchover, keel maintenance) as status shows them; nothing when none. */
function holdsOf(holds: Hold[]): { holds?: HoldStatus[] } {
  return holds.length > 0 ? { holds: holds.map((h) => ({ ...h })) } : {};
}

/**
 * What the VRRP MIBs read beyond the rest of an instance's status (InstanceStatus's SNMP
 * fields): the interface as the kernel has it, the last master heard (keepalived's
 * master_saddr: never our own address), the reason of the last transition into MASTER
 * (RFC 6527 vrrpv3StatisticsNewMasterReason) and keepalived's counters by name.
 */
function snmpFacts(driver: VrrpDriver, inst: Instance): Partial<InstanceStatus> {
  const p = inst.p;
  const out: Partial<InstanceStatus> = { preempt: !p.nopreempt, stats: { ...inst.stats } };
  const link = p.ifname === undefined ? undefined : driver.linkInfo(p.ifname, p.family);
  if (link) {
    out.ifindex = link.ifindex;
    if (link.mac) out.mac = link.mac;
    if (link.primary) out.primary = link.primary;
  }
  if (inst.masterAddress !== undefined) out.lastMaster = inst.masterAddress;
  const toMaster = inst
    .view()
    .decisions.filter((d) => d.to === "MASTER")
    .at(-1);
  if (toMaster) out.masterReason = toMaster.cause.reason;
  if (inst.lastProtoError !== undefined) out.protoError = inst.lastProtoError;
  return out;
}
