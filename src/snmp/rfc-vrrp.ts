/**
 * What VRRP-MIB (RFC 2787) and VRRPv3-MIB (RFC 6527) share, as keepalived 2.2.7 fills
 * them (keepalived/vrrp/vrrp_snmp.c): the rows' index parts, the state and reason
 * numbers, addresses as bytes. Pure.
 */
import { parseIp } from "../base/ip";
import type { InstanceStatus } from "../control/protocol";
import { type Varbind, compareOids } from "./mib";

/** vrrp_snmp_rfc_state: INIT 1, BACKUP 2, MASTER 3; FAULT and the rest read as INIT (1). */
export function rfcState(state: string): number {
  if (state === "BACKUP") return 2;
  if (state === "MASTER") return 3;
  return 1;
}

/** A row's ifindex: IF_BASE_INDEX(vrrp->ifp), 0 without an interface. */
export function ifindexOf(i: InstanceStatus): number {
  return i.ifindex ?? 0;
}

/** An address's bytes (4 or 16), as keepalived puts an IpAddress or InetAddress in a value or index. */
export function addressBytes(text: string): number[] {
  const r = parseIp(text.replace(/\/\d+$/, ""));
  if (!r) throw new Error(`not an IP address: ${text}`);
  return [...r.bytes];
}

/** The interface MAC "02:99:00:00:00:0b" as bytes (empty when unknown). */
export function macBytes(mac: string | undefined): Uint8Array {
  return new Uint8Array(mac ? mac.split(":").map((h) => Number.parseInt(h, 16)) : []);
}

/** The instances each MIB serves: keepalived serves only instances with at least one VIP. */
export function withVips(instances: InstanceStatus[]): InstanceStatus[] {
  return instances.filter((i) => i.vips.length > 0);
}

/**
 * RFC 6527 vrrpv3StatisticsNewMasterReason from keel's transition words, as keepalived
 * sets next_master_reason (vrrp.c, vrrp_scheduler.c; vrrp_snmp.h explains its reading):
 * priority (1) after a priority-0 advert, preempted (2) for the address owner or a
 * preemption of a lower-priority master, masterNoResponse (3) when the down timer ran out
 * (and by default); notMaster (0) before the first.
 */
export function masterReason(reason: string | undefined): number {
  if (reason === undefined) return 0;
  if (reason === "priority-zero-received") return 1;
  if (reason === "preempt" || reason === "address-owner") return 2;
  return 3;
}

/** RFC 6527 vrrpv3StatisticsProtoErrReason of an rx-error code (vrrp.c vrrp_in_chk). */
export const PROTO_ERROR: Record<string, number> = {
  "bad-ttl": 1,
  "bad-version": 2,
  "bad-checksum": 3,
  "bad-vrid": 4,
};

/** RFC 2787 vrrpTrapAuthErrorType of an rx-error code (vrrp_snmp.h rfcv2_trap_auth_error_type). */
export const AUTH_ERROR: Record<string, number> = {
  "bad-auth-type": 1,
  "auth-type-mismatch": 2,
  "auth-failure": 3,
};

/** keepalived's counter by name (0 when a daemon did not report it). */
export function stat(i: InstanceStatus, name: string): number {
  return i.stats?.[name] ?? 0;
}

/** Sorted by OID (the order GetNext walks). */
export function sortVarbinds(v: Varbind[]): Varbind[] {
  return v.sort((a, b) => compareOids(a.oid, b.oid));
}

/** vrrp->saddr: the address our adverts leave from (status `master` while MASTER, else the interface's primary). */
export function ourSource(i: InstanceStatus): string {
  return (i.state === "MASTER" ? i.master : undefined) ?? i.primary ?? (i.family === 4 ? "0.0.0.0" : "::");
}
