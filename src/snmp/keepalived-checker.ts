/**
 * KEEPALIVED-MIB's checker part (1.3.6.1.4.1.9586.100.5.3, `check`), pure but for the
 * counters' cache: keepalived 2.2.7 check/check_snmp.c check_vars, table by table, with
 * keepalived's values:
 *
 *   .1 virtualServerGroupTable       .1.1.2.G        (G: virtual_server_group in config order)
 *   .2 virtualServerGroupMemberTable .2.1.COL.G.M    (M: fwmark entries, then address ranges)
 *   .3 virtualServerTable            .3.1.COL.V      (V: virtual_server in config order)
 *   .4 realServerTable               .4.1.COL.V.R    (R: the sorry server first, then real servers)
 *   .5.0.1/.2 realServerStateChange, virtualServerQuorumStateChange
 *   .6 lvsSyncDaemon scalars, .7 lvsTimeouts scalars
 *
 * keepalived's quirks kept: virtualServerProtocol in a notification is TruthValue(TCP)
 * (1 TCP, 2 anything else); a real server's smtp_alert defaults to true, a virtual server's
 * to false (check_data.c validate_check_config); the sorry server is never completed, so its
 * timing columns read 0 (alloc_ssvr zeroes it). Not kept: the rate "low" columns
 * (virtualServerRateCpsLow, ...) return a stale counter64 in keepalived (check_snmp.c returns
 * &counter64_ret after setting long_ret), a value that depends on the previous request; keel
 * serves the low 32 bits the column names. realServerWeight is writable (src/snmp/write-checker.ts)
 * and reads the weight in force: an operator's (`keel rs weight`, an SNMP set) over the checkers'.
 *
 * The IPVS counters come from the status (the checker process reads the kernel once a second)
 * through StatsCache: keepalived refreshes a virtual server's counters at most every
 * snmp_vs_stats_update_interval (5 s; 2.2.7 has the 5 s hard-wired as STATS_REFRESH) and its
 * real servers' every snmp_rs_stats_update_interval (unset: the same), on demand.
 */
import { parseIp } from "../base/ip";
import type { KeelConfig } from "../config/model";
import { lvsSyncDaemonOf } from "../config/vrrp/lvs-syncd";
import {
  type LvsMethod,
  type RealServer,
  type VirtualServer,
  effectiveLvsMethod,
  effectivePort,
  effectiveWeight,
} from "../config/lvs/model";
import type { Event, LvsCounters, RealServerStatus, VirtualServerStatus } from "../control/protocol";
import { StatsCache } from "./checker-stats";
import { KEEPALIVED_OID, ROUTER_ID_OID, routerId, truth } from "./keepalived-global";
import { commandText } from "./keepalived-vrrp";
import { checkerTestSet } from "./write-checker";
import { type MibModule, type Notification, type Oid, type SnmpSource, type Varbind, compareOids } from "./mib";

export const CHECK_OID: Oid = [...KEEPALIVED_OID, 3];

type At = (sub: number[], type: Varbind["type"], value: Varbind["value"]) => void;

const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"];
/** virtualServerLoadBalancingAlgo: rr(1) ... twos(14), anything else 99 */
const algo = (s: string): number => {
  const i = SCHEDULERS.indexOf(s);
  return i < 0 ? 99 : i + 1;
};
/** LoadBalancingKind: nat(1) dr(2) tun(3) */
const kind = (m: LvsMethod): number => ({ NAT: 1, DR: 2, TUN: 3 })[m.method];
/** keepalived's SNMP_InetAddressType: ipv4(1), anything else (unset included) ipv6(2) */
const addrType = (family: 4 | 6 | undefined): number => (family === 4 ? 1 : 2);
const usec = (seconds: number): number => Math.round(seconds * 1_000_000);
const secs = (seconds: number): number => Math.floor(seconds);
const u32 = (n: number): number => n % 2 ** 32;
const hi32 = (n: number): number => Math.floor(n / 2 ** 32);

/** The service's address family as keepalived's vs->af holds it. */
function vsFamily(config: KeelConfig, vs: VirtualServer): 4 | 6 | undefined {
  const fromIp = (ip: string | undefined) => (ip === undefined ? undefined : parseIp(ip)?.family);
  const named = vs.ipFamily === undefined ? undefined : vs.ipFamily === "inet" ? 4 : 6;
  if (vs.service.kind === "address") return fromIp(vs.service.ip);
  if (vs.service.kind === "group") {
    const range = config.virtualServerGroups[vs.service.group]?.entries.find((e) => e.kind === "range");
    if (range?.kind === "range") return fromIp(range.first);
  }
  return named ?? fromIp(vs.realServers[0]?.ip);
}

/** The four tunnel columns (virtualServerTunnelType.. / realServerTunnelType..), TUN only. */
function tunnel(col: (c: number, t: Varbind["type"], v: Varbind["value"]) => void, m: LvsMethod, base: number): void {
  if (m.method !== "TUN") return;
  const type = m.tunnelType ?? "ipip";
  col(base, "Integer", { ipip: 1, gue: 2, gre: 3 }[type]);
  if (type === "gue") col(base + 1, "Gauge32", m.tunnelPort ?? 0);
  if (type !== "ipip") col(base + 2, "Integer", { nocsum: 1, csum: 2, remcsum: 3 }[m.tunnelChecksum ?? "nocsum"]);
}

/**
 * The counters columns, shared by both tables: `first` is the first 32-bit column
 * (conns, inpkts, ...), `wide` the first of the 64-bit ones (_WITH_LVS_64BIT_STATS_,
 * which Debian's build has).
 */
function counterColumns(
  col: (c: number, t: Varbind["type"], v: Varbind["value"]) => void,
  c: LvsCounters | undefined,
  first: number,
  wide: number,
): void {
  const n = (v: number | undefined) => v ?? 0;
  col(first, "Gauge32", u32(n(c?.connections)));
  col(first + 1, "Counter32", u32(n(c?.inPackets)));
  col(first + 2, "Counter32", u32(n(c?.outPackets)));
  col(first + 3, "Counter64", BigInt(n(c?.inBytes)));
  col(first + 4, "Counter64", BigInt(n(c?.outBytes)));
  const rates = [c?.cps, c?.inPps, c?.outPps, c?.inBps, c?.outBps].map(n);
  rates.forEach((r, k) => col(first + 5 + k, "Gauge32", u32(r)));
  col(wide, "Counter64", BigInt(n(c?.connections)));
  col(wide + 1, "Counter64", BigInt(n(c?.inPackets)));
  col(wide + 2, "Counter64", BigInt(n(c?.outPackets)));
  rates.forEach((r, k) => {
    col(wide + 3 + 2 * k, "Gauge32", u32(r));
    col(wide + 4 + 2 * k, "Gauge32", hi32(r));
  });
}

/** The persistence columns: timeout (0: none) and the IPv4 netmask / IPv6 prefix. */
function persistence(vs: VirtualServer): { timeout: number; mask4: Uint8Array; prefix6: number } {
  const portless = vs.service.kind === "address" && (vs.service.port ?? 0) === 0;
  const timeout = vs.persistenceTimeout ?? (vs.persistenceGranularity !== undefined || portless ? 360 : 0);
  const g = vs.persistenceGranularity;
  const mask = g === undefined ? undefined : parseIp(g);
  return {
    timeout,
    // persistence_granularity is stored in network order; unset is all ones
    mask4: mask?.family === 4 ? mask.bytes : Uint8Array.of(255, 255, 255, 255),
    prefix6: g !== undefined && /^\d+$/.test(g) ? Number(g) : 128,
  };
}

function virtualServerRow(
  at: At,
  source: SnmpSource,
  vs: VirtualServer,
  st: VirtualServerStatus | undefined,
  v: number,
) {
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([3, 1, c, v], type, value);
  const s = vs.service;
  col(2, "Integer", s.kind === "group" ? 3 : s.kind === "fwmark" ? 1 : 2);
  if (s.kind === "group") col(3, "OctetString", s.group);
  if (s.kind === "fwmark") col(4, "Gauge32", s.fwmark);
  const family = vsFamily(source.config, vs);
  col(5, "Integer", addrType(family));
  // vs->addr is only set for an address service (a group's and a fwmark's is all zeros)
  const addrFamily = s.kind === "address" ? family : undefined;
  if (s.kind === "address") {
    const ip = parseIp(s.ip);
    if (ip) col(6, "OctetString", ip.bytes);
    col(7, "Gauge32", s.port ?? 0);
  }
  // service_type: keepalived's default is UDP (with a warning)
  if (s.kind !== "fwmark") col(8, "Integer", { TCP: 1, UDP: 2, SCTP: 3 }[vs.protocol ?? "UDP"]);
  col(9, "Integer", algo(vs.lbAlgo));
  col(10, "Integer", kind(vs.lvsMethod ?? { method: "NAT" }));
  // vs->alive: the service is in the IPVS table (not held back by ha_suspend)
  col(11, "Integer", truth(st !== undefined && !st.suspended));
  if (vs.virtualhost !== undefined) col(12, "OctetString", vs.virtualhost);
  const p = persistence(vs);
  col(13, "Integer", truth(p.timeout > 0));
  if (p.timeout > 0) col(14, "Gauge32", p.timeout);
  if (addrFamily !== 6) col(15, "OctetString", p.mask4);
  col(16, "Gauge32", secs(vs.delayLoop));
  col(17, "Integer", truth(vs.haSuspend));
  col(18, "Integer", truth(vs.alpha));
  col(19, "Integer", truth(vs.omega));
  const rss = st?.realServers ?? [];
  col(20, "Gauge32", vs.realServers.length);
  col(21, "Gauge32", rss.filter((r) => r.up).length);
  col(22, "Gauge32", vs.quorum);
  col(23, "Integer", truth(st?.quorumUp ?? false));
  if (vs.quorumUp) col(24, "OctetString", commandText(vs.quorumUp, source.programPath));
  if (vs.quorumDown) col(25, "OctetString", commandText(vs.quorumDown, source.programPath));
  col(26, "Gauge32", vs.hysteresis);
  counterColumns(col, st?.counters, 27, 38);
  col(37, "Integer", truth(vs.ops));
  if (addrFamily !== 4) col(51, "Gauge32", p.prefix6);
  // IP_VS_SVC_F_SCHED1/2/3: sh-fallback and mh-fallback are SCHED1, sh-port and mh-port SCHED2
  const sched1 = vs.flag1 || vs.shFallback || vs.mhFallback;
  const sched2 = vs.flag2 || vs.shPort || vs.mhPort;
  col(52, "Integer", truth(false)); // IP_VS_SVC_F_HASHED: the kernel's own flag, never configured
  col(53, "Integer", truth(sched1));
  col(54, "Integer", truth(sched2));
  col(55, "Integer", truth(vs.flag3));
  col(56, "Integer", truth(!vs.inhibitOnFailure));
  col(57, "Gauge32", vs.retry ?? 0);
  col(58, "Gauge32", secs(vs.delayBeforeRetry ?? 0));
  col(59, "Gauge32", secs(vs.warmup ?? 0));
  col(60, "Integer", vs.weight);
  const g = source.config.globalDefs;
  col(61, "Integer", truth(vs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? false));
  col(62, "Integer", truth(sched1));
  col(63, "Integer", truth(sched2));
  col(64, "Gauge32", usec(vs.delayLoop));
  col(65, "Gauge32", usec(vs.delayBeforeRetry ?? 0));
  col(66, "Gauge32", usec(vs.warmup ?? 0));
  col(67, "Gauge32", usec(vs.connectTimeout));
  tunnel(col, vs.lvsMethod ?? { method: "NAT" }, 68);
  if (vs.snmpName !== undefined) col(71, "OctetString", vs.snmpName);
}

function realServerRow(
  at: At,
  source: SnmpSource,
  vs: VirtualServer,
  rs: RealServer,
  st: RealServerStatus | undefined,
  v: number,
  r: number,
) {
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([4, 1, c, v, r], type, value);
  const ip = parseIp(rs.ip);
  col(2, "Integer", truth(true));
  col(3, "Integer", addrType(ip?.family));
  if (ip) col(4, "OctetString", ip.bytes);
  col(5, "Gauge32", effectivePort(vs, rs) ?? 0);
  col(6, "Integer", truth(st?.up ?? false));
  col(7, "Integer", (st?.operator?.action === "weight" ? st.operator.weight : st?.weight) ?? effectiveWeight(vs, rs));
  if (rs.uthreshold) col(8, "Gauge32", rs.uthreshold);
  if (rs.lthreshold) col(9, "Gauge32", rs.lthreshold);
  col(10, "Integer", truth(!(rs.inhibitOnFailure ?? vs.inhibitOnFailure)));
  if (rs.notifyUp) col(11, "OctetString", commandText(rs.notifyUp, source.programPath));
  if (rs.notifyDown) col(12, "OctetString", commandText(rs.notifyDown, source.programPath));
  // num_failed_checkers: the checkers now down
  col(13, "Gauge32", (st?.checkers ?? []).filter((c) => !c.up).length);
  realServerCounters(col, st?.counters);
  const method = effectiveLvsMethod(vs, rs);
  col(40, "Integer", kind(method));
  if (rs.virtualhost !== undefined) col(41, "OctetString", rs.virtualhost);
  col(42, "Integer", truth(rs.alpha ?? vs.alpha));
  col(43, "Gauge32", rs.retry ?? vs.retry ?? 0);
  const dbr = rs.delayBeforeRetry ?? vs.delayBeforeRetry ?? 0;
  const warmup = rs.warmup ?? vs.warmup ?? 0;
  const delayLoop = rs.delayLoop ?? vs.delayLoop;
  col(44, "Gauge32", secs(dbr));
  col(45, "Gauge32", secs(warmup));
  col(46, "Gauge32", secs(delayLoop));
  const g = source.config.globalDefs;
  // validate_check_config: a real server's unset smtp_alert is true, "for backwards compatibility"
  col(47, "Integer", truth(rs.smtpAlert ?? g.smtpAlertChecker ?? g.smtpAlert ?? true));
  col(48, "Gauge32", usec(dbr));
  col(49, "Gauge32", usec(warmup));
  col(50, "Gauge32", usec(delayLoop));
  col(51, "Gauge32", usec(rs.connectTimeout ?? vs.connectTimeout));
  tunnel(col, method, 52);
  if (rs.snmpName !== undefined) col(55, "OctetString", rs.snmpName);
}

/** The real server's counter columns: 14 conns, 15-17 connection counts, 18.. as the service's. */
function realServerCounters(col: (c: number, t: Varbind["type"], v: Varbind["value"]) => void, c?: LvsCounters): void {
  const shifted = (k: number, t: Varbind["type"], v: Varbind["value"]) => col(k <= 14 ? k : k + 3, t, v);
  counterColumns(shifted, c, 14, 24);
  col(15, "Gauge32", c?.activeConns ?? 0);
  col(16, "Gauge32", c?.inactiveConns ?? 0);
  col(17, "Gauge32", c?.persistentConns ?? 0);
}

/** The sorry server's row: alloc_ssvr's zeroed real_server_t, only the columns it serves. */
function sorryServerRow(at: At, vs: VirtualServer, v: number): void {
  const sorry = vs.sorryServer;
  if (!sorry) return;
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([4, 1, c, v, 1], type, value);
  const ip = parseIp(sorry.ip);
  col(2, "Integer", truth(false));
  col(3, "Integer", addrType(ip?.family));
  if (ip) col(4, "OctetString", ip.bytes);
  col(5, "Gauge32", sorry.port ?? 0);
  // the status has no counters of its own for the sorry server
  realServerCounters(col, undefined);
  const method = sorry.lvsMethod ?? vs.lvsMethod ?? { method: "NAT" };
  col(40, "Integer", kind(method));
  for (const c of [42, 47]) col(c, "Integer", truth(false));
  for (const c of [43, 44, 45, 46, 48, 49, 50, 51]) col(c, "Gauge32", 0);
  tunnel(col, method, 52);
}

/** .6: lvs_sync_daemon as the checker process holds it; .7: lvs_timeouts (only those set). */
function scalars(at: At, config: KeelConfig): void {
  const d = lvsSyncDaemonOf(config);
  at([6, 1, 0], "Integer", truth(d !== undefined));
  if (d) {
    at([6, 2, 0], "OctetString", d.interface);
    if (d.vrrpInstance !== undefined) at([6, 3, 0], "OctetString", d.vrrpInstance);
    // the VRRP process sets syncid from the instance's VRID; the checker process starts
    // the daemon itself only without an instance, and 0 is its default then
    at([6, 4, 0], "Integer", d.syncId ?? 0);
    at([6, 5, 0], "Integer", d.maxLen ?? 0);
    at([6, 6, 0], "Integer", d.port ?? 0);
    at([6, 7, 0], "Integer", d.ttl ?? 0);
    const group = d.group === undefined ? undefined : parseIp(d.group);
    if (group) {
      at([6, 8, 0], "Integer", addrType(group.family));
      at([6, 9, 0], "OctetString", group.bytes);
    }
  }
  const t = config.globalDefs.lvsTimeouts;
  if (t?.tcp) at([7, 1, 0], "Integer", t.tcp);
  if (t?.tcpFin) at([7, 2, 0], "Integer", t.tcpFin);
  if (t?.udp) at([7, 3, 0], "Integer", t.udp);
}

/** Every varbind of the checker part from this source, as is (no counter cache). */
export function checkerVarbinds(source: SnmpSource): Varbind[] {
  const out: Varbind[] = [];
  const at: At = (sub, type, value) => out.push({ oid: [...CHECK_OID, ...sub], type, value });
  const config = source.config;
  Object.values(config.virtualServerGroups).forEach((g, gi) => {
    at([1, 1, 2, gi + 1], "OctetString", g.name);
    // check_snmp_vsgroupmember: the fwmark list first, then the address ranges
    const entries = [...g.entries.filter((e) => e.kind === "fwmark"), ...g.entries.filter((e) => e.kind === "range")];
    entries.forEach((e, k) => {
      const row = (c: number, type: Varbind["type"], value: Varbind["value"]) =>
        at([2, 1, c, gi + 1, k + 1], type, value);
      if (e.kind === "fwmark") {
        row(2, "Integer", 1);
        row(3, "Gauge32", e.fwmark);
        return;
      }
      const first = parseIp(e.first);
      const last = parseIp(e.last);
      const range = e.first !== e.last;
      row(2, "Integer", range ? 3 : 2);
      row(4, "Integer", addrType(first?.family));
      if (!range && first) row(5, "OctetString", first.bytes);
      if (range && first) row(6, "OctetString", first.bytes);
      if (range && last) row(7, "OctetString", last.bytes);
      row(8, "Gauge32", e.port ?? 0);
    });
  });
  const statuses = source.status.virtualServers ?? [];
  config.virtualServers.forEach((vs, vi) => {
    const st = statuses[vi];
    virtualServerRow(at, source, vs, st, vi + 1);
    sorryServerRow(at, vs, vi + 1);
    const offset = vs.sorryServer ? 1 : 0;
    vs.realServers.forEach((rs, ri) => {
      realServerRow(at, source, vs, rs, st?.realServers[ri], vi + 1, ri + 1 + offset);
    });
  });
  scalars(at, config);
  return out.sort((a, b) => compareOids(a.oid, b.oid));
}

/**
 * check_snmp_rs_trap / check_snmp_quorum_trap (ipwrapper.c sends them on every real
 * server and quorum change): the real server's address, port and status (for the first),
 * the service's identity, virtualServerProtocol as TruthValue(TCP), the quorum state and
 * quorum (for the second), realServerUp and realServerTotal, routerId; no index on any.
 * At shutdown (an event marked stopping: clear_services) the real server's trap says it is
 * down and the quorum's says stopping(3) (check_snmp_rs_trap's `stopping ? 3 : ...`).
 *
 * realServerUp counts the real servers alive as of this event: the checker process sends
 * its events before the status snapshot that includes them, so `heard` (the last up/down
 * event per `virtualServer|realServer`, newer than any status) overrides the status.
 */
export function checkerNotifications(
  event: Event,
  source: SnmpSource,
  heard: ReadonlyMap<string, boolean> = new Map(),
): Notification[] {
  if (event.event !== "real-server" && event.event !== "quorum") return [];
  if (!source.config.globalDefs.enableTraps) return [];
  const statuses = source.status.virtualServers ?? [];
  const v = statuses.findIndex((s) => s.name === event.virtualServer);
  const vs = source.config.virtualServers[v];
  const st = statuses[v];
  if (!vs || !st) return [];
  const o = (sub: number[]): Oid => [...CHECK_OID, ...sub];
  const varbinds: Varbind[] = [];
  const alive = (r: RealServerStatus) =>
    event.event === "real-server" && r.address === event.realServer
      ? event.up
      : (heard.get(`${st.name}|${r.address}`) ?? r.up);
  const realUp = st.realServers.filter(alive).length;
  if (event.event === "real-server") {
    const r = st.realServers.findIndex((x) => x.address === event.realServer);
    const rs = vs.realServers[r];
    const ip = rs ? parseIp(rs.ip) : undefined;
    if (!rs || !ip) return [];
    varbinds.push(
      { oid: o([4, 1, 3]), type: "Integer", value: addrType(ip.family) },
      { oid: o([4, 1, 4]), type: "OctetString", value: ip.bytes },
      { oid: o([4, 1, 5]), type: "Gauge32", value: effectivePort(vs, rs) ?? 0 },
      { oid: o([4, 1, 6]), type: "Integer", value: truth(event.up) },
    );
  }
  const s = vs.service;
  varbinds.push({ oid: o([3, 1, 2]), type: "Integer", value: s.kind === "group" ? 3 : s.kind === "fwmark" ? 1 : 2 });
  if (s.kind === "group") varbinds.push({ oid: o([3, 1, 3]), type: "OctetString", value: s.group });
  else if (s.kind === "fwmark") varbinds.push({ oid: o([3, 1, 4]), type: "Gauge32", value: s.fwmark });
  else {
    const ip = parseIp(s.ip);
    varbinds.push(
      { oid: o([3, 1, 5]), type: "Integer", value: addrType(ip?.family) },
      { oid: o([3, 1, 6]), type: "OctetString", value: ip?.bytes ?? new Uint8Array(4) },
      { oid: o([3, 1, 7]), type: "Gauge32", value: s.port ?? 0 },
    );
  }
  varbinds.push({ oid: o([3, 1, 8]), type: "Integer", value: truth(vs.protocol === "TCP") });
  if (event.event === "quorum") {
    varbinds.push(
      { oid: o([3, 1, 23]), type: "Integer", value: event.stopping ? 3 : truth(event.up) },
      { oid: o([3, 1, 22]), type: "Gauge32", value: vs.quorum },
    );
  }
  varbinds.push(
    { oid: o([3, 1, 21]), type: "Gauge32", value: realUp },
    { oid: o([3, 1, 20]), type: "Gauge32", value: vs.realServers.length },
    { oid: ROUTER_ID_OID, type: "OctetString", value: routerId(source) ?? "" },
  );
  return [{ trapOid: o([5, 0, event.event === "real-server" ? 1 : 2]), varbinds }];
}

const cache = new StatsCache();
const heard = new Map<string, boolean>();

export const keepalivedChecker: MibModule = {
  name: "KEEPALIVED-MIB checker",
  root: CHECK_OID,
  // check_snmp_agent_init: snmp_register_mib(check_oid, ..., "Healthchecker")
  description: "The MIB module for Healthchecker",
  varbinds: (source) => checkerVarbinds(cache.view(source)),
  notifications: (event, source) => {
    if (event.event === "real-server") heard.set(`${event.virtualServer}|${event.realServer}`, event.up);
    // a reload may drop real servers: forget what the status no longer has
    if (event.event === "reload") heard.clear();
    return checkerNotifications(event, source, heard);
  },
  testSet: (vb, source) => checkerTestSet(vb.oid.slice(CHECK_OID.length), vb, source),
};
