/**
 * From a configured virtual_server to its IPVS services: the keys (an address, a fwmark,
 * or every entry of a virtual_server_group with its address ranges expanded, as
 * keepalived's ipvs_group_range_cmd adds one service per address), the scheduler and its
 * flags, and persistence (ipvswrapper.c ipvs_set_srule).
 */
import { formatIpv4, formatIpv6, ipv4ToNumber, numberToIpv4, parseIpv4, parseIpv6 } from "../base/ip";
import { familyOf } from "../config/lvs/addr";
import type { KeelConfig } from "../config/model";
import type { LvsMethod, RealServer, SorryServer, VirtualServer } from "../config/lvs/model";
import { effectiveLvsMethod, effectivePort } from "../config/lvs/model";
import { autoFwmarkGroup, groupFamilies } from "./auto-fwmark";
import { type Dest, type Protocol, SVC_F, type Service, type ServiceKey } from "./table";

/** The address family of the service (check_data.c vs_end_handler / rs_end_handler). */
export function serviceFamily(cfg: Pick<KeelConfig, "virtualServerGroups">, vs: VirtualServer): 4 | 6 {
  if (vs.service.kind === "address") return familyOf(vs.service.ip) ?? 4;
  if (vs.ipFamily) return vs.ipFamily === "inet" ? 4 : 6;
  if (vs.service.kind === "group") {
    for (const e of cfg.virtualServerGroups[vs.service.group]?.entries ?? []) {
      if (e.kind === "range") return familyOf(e.first) ?? 4;
      if (e.family) return e.family === "inet" ? 4 : 6;
    }
  }
  for (const rs of vs.realServers) if (effectiveLvsMethod(vs, rs).method !== "TUN") return familyOf(rs.ip) ?? 4;
  const first = vs.realServers[0];
  return first ? (familyOf(first.ip) ?? 4) : 4;
}

/** keepalived's FMT_VS: "[10.0.0.1]:tcp:80", "FWM 5", "[group]:80". */
export function formatVs(vs: VirtualServer): string {
  const s = vs.service;
  if (s.kind === "group") return `[${s.group}]:${0}`;
  if (s.kind === "fwmark") return `FWM ${s.fwmark}`;
  return formatTrio(s.ip, (vs.protocol ?? "UDP").toLowerCase(), s.port ?? 0);
}

/** FMT_RS: inet_sockaddrtotrio "[ip]:proto:port". */
export function formatRs(vs: VirtualServer, rs: { ip: string; port?: number }): string {
  return formatTrio(rs.ip, (vs.protocol ?? (vs.service.kind === "fwmark" ? "TCP" : "UDP")).toLowerCase(), rs.port ?? 0);
}

function formatTrio(ip: string, proto: string, port: number): string {
  return `[${ip}]:${proto}:${port}`;
}

/** The name the control protocol and the TUI show: "10.0.0.1:80/TCP", "fwmark 5", "group web/TCP". */
export function vsDisplayName(vs: VirtualServer): string {
  const s = vs.service;
  const proto = vs.protocol ?? "UDP";
  if (s.kind === "fwmark") return `fwmark ${s.fwmark}`;
  if (s.kind === "group") return `group ${s.group}/${proto}`;
  const host = familyOf(s.ip) === 6 ? `[${s.ip}]` : s.ip;
  return s.port === undefined ? `${host}/${proto}` : `${host}:${s.port}/${proto}`;
}

export function rsDisplayName(ip: string, port: number | undefined): string {
  const host = familyOf(ip) === 6 ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}

/** Scheduler flags as ipvsadm -b sets them (sh-fallback/mh-fallback = flag-1, sh-port/mh-port = flag-2). */
function schedFlags(vs: VirtualServer): number {
  let f = 0;
  if (vs.flag1 || (vs.lbAlgo === "sh" && vs.shFallback) || (vs.lbAlgo === "mh" && vs.mhFallback)) f |= SVC_F.SCHED1;
  if (vs.flag2 || (vs.lbAlgo === "sh" && vs.shPort) || (vs.lbAlgo === "mh" && vs.mhPort)) f |= SVC_F.SCHED2;
  if (vs.flag3) f |= SVC_F.SCHED3;
  return f;
}

/** "255.255.255.0" → 0xffffff00; IPv6 granularity is a prefix length. */
function netmaskOf(vs: VirtualServer, family: 4 | 6): number {
  const g = vs.persistenceGranularity;
  if (family === 6) return g === undefined ? 128 : Number(g);
  if (g === undefined) return 0xffffffff;
  if (/^\d+$/.test(g)) {
    const bits = Number(g);
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  const mask = parseIpv4(g);
  return mask ? ipv4ToNumber(mask) : 0;
}

/** The service parameters shared by every key of this virtual server. */
export function serviceParams(vs: VirtualServer, family: 4 | 6): Omit<Service, keyof ServiceKey> {
  let flags = schedFlags(vs);
  // persistence_timeout, or granularity alone, or a service without a port: 360 s (check_data.c)
  const portless = vs.service.kind === "address" && vs.service.port === undefined;
  const timeout = vs.persistenceTimeout ?? (vs.persistenceGranularity !== undefined || portless ? 360 : 0);
  if (timeout > 0) flags |= SVC_F.PERSISTENT;
  if (vs.ops && (vs.protocol ?? "UDP") === "UDP") flags |= SVC_F.ONEPACKET;
  const p: Omit<Service, keyof ServiceKey> = { scheduler: vs.lbAlgo, flags, timeout, netmask: netmaskOf(vs, family) };
  if (vs.persistenceEngine) p.pe = vs.persistenceEngine;
  return p;
}

function* rangeAddresses(first: string, last: string): Generator<string> {
  if (first === last) {
    yield first;
    return;
  }
  if (familyOf(first) === 4) {
    const a = ipv4ToNumber(parseIpv4(first)!);
    const b = ipv4ToNumber(parseIpv4(last)!);
    for (let i = a; i <= b; i++) yield formatIpv4(numberToIpv4(i));
    return;
  }
  // IPv6 ranges vary the last 16-bit group (lib/utils.c inet_stor)
  const b = parseIpv6(first) ?? new Uint8Array(16);
  const end = parseIpv6(last) ?? b;
  const from = (b[14]! << 8) | b[15]!;
  const to = (end[14]! << 8) | end[15]!;
  for (let i = from; i <= to; i++) {
    b[14] = i >> 8;
    b[15] = i & 0xff;
    yield formatIpv6(b);
  }
}

/**
 * Every IPVS service this virtual server stands for; `autoFwmark`: its group's nftables_ipvs
 * mark (auto-fwmark.ts), one fwmark service per family of the group instead.
 */
export function serviceKeys(
  cfg: Pick<KeelConfig, "virtualServerGroups">,
  vs: VirtualServer,
  autoFwmark?: number,
): ServiceKey[] {
  const family = serviceFamily(cfg, vs);
  const protocol: Protocol = vs.protocol ?? "UDP";
  const s = vs.service;
  if (s.kind === "fwmark") return [{ family, fwmark: s.fwmark }];
  const group = autoFwmark === undefined ? undefined : autoFwmarkGroup(cfg, vs);
  if (autoFwmark !== undefined && group) return groupFamilies(group).map((f) => ({ family: f, fwmark: autoFwmark }));
  if (s.kind === "address") return [{ family, protocol, address: s.ip, port: s.port ?? 0 }];
  const keys: ServiceKey[] = [];
  for (const e of cfg.virtualServerGroups[s.group]?.entries ?? []) {
    if (e.kind === "fwmark")
      keys.push({ family: e.family === "inet6" ? 6 : e.family === "inet" ? 4 : family, fwmark: e.fwmark });
    else
      for (const a of rangeAddresses(e.first, e.last))
        keys.push({ family: familyOf(a) ?? family, protocol, address: a, port: e.port ?? 0 });
  }
  return keys;
}

const TUN_FLAGS = { nocsum: 0, csum: 1, remcsum: 2 } as const;

/**
 * A real or sorry server as an IPVS destination with `weight`; `autoFwmark`: its service
 * is an nftables_ipvs fwmark service, where only NAT keeps the port (ipvs_cmd).
 */
export function destOf(vs: VirtualServer, rs: RealServer | SorryServer, weight: number, autoFwmark = false): Dest {
  const m: LvsMethod = effectiveLvsMethod(vs, rs);
  const d: Dest = {
    address: rs.ip,
    port: (autoFwmark && m.method !== "NAT" ? undefined : effectivePort(vs, rs)) ?? 0,
    weight,
    method: m.method,
    upperThreshold: "uthreshold" in rs ? (rs.uthreshold ?? 0) : 0,
    lowerThreshold: "lthreshold" in rs ? (rs.lthreshold ?? 0) : 0,
  };
  const fam = familyOf(rs.ip);
  if (fam !== undefined && m.method === "TUN") d.family = fam;
  if (m.method === "TUN") {
    d.tunType = m.tunnelType ?? "ipip";
    if (m.tunnelPort !== undefined) d.tunPort = m.tunnelPort;
    d.tunFlags = TUN_FLAGS[m.tunnelChecksum ?? "nocsum"];
  }
  return d;
}
