/**
 * VRRP-MIB (RFC 2787, 1.3.6.1.2.1.68) as keepalived 2.2.7 serves it
 * (keepalived/vrrp/vrrp_snmp.c, _WITH_SNMP_RFCV2_): VRRPv2 IPv4 instances with at least
 * one VIP (suitable_for_rfc2787), rows indexed by (ifindex, VRID), the associated
 * addresses by (ifindex, VRID, address), the router-wide counters summed over those
 * instances, and the two notifications. vrrpOperAuthKey is never served (keepalived: "Not
 * readable"); vrrpOperVirtualMacAddr is the interface's own MAC, as keepalived fills it.
 */
import type { Event, InstanceStatus } from "../control/protocol";
import type { MibModule, Notification, Oid, SnmpSource, Varbind } from "./mib";
import {
  AUTH_ERROR,
  addressBytes,
  ifindexOf,
  macBytes,
  ourSource,
  rfcState,
  sortVarbinds,
  stat,
  withVips,
} from "./rfc-vrrp";

export const VRRP_MIB: Oid = [1, 3, 6, 1, 2, 1, 68];
const OPER = [...VRRP_MIB, 1, 3, 1];
const ASSO = [...VRRP_MIB, 1, 4, 1];
const STATS = [...VRRP_MIB, 2, 4, 1];

/** suitable_for_rfc2787: version 2, IPv4, a VIP. */
function rows(source: SnmpSource): InstanceStatus[] {
  return withVips(source.status.instances).filter((i) => i.version === 2 && i.family === 4);
}

/** vrrpStatsTable's columns 1..12 and keepalived's counter for each. */
const STATS_COLUMNS = [
  "become_master",
  "advert_rcvd",
  "advert_interval_err",
  "auth_failure",
  "ip_ttl_err",
  "pri_zero_rcvd",
  "pri_zero_sent",
  "invalid_type_rcvd",
  "addr_list_err",
  "invalid_authtype",
  "authtype_mismatch",
  "packet_len_err",
];

/** vrrpOperAuthType: keepalived's auth_type + 1 (noAuthentication 1, simpleTextPassword 2, ipAuthenticationHeader 3). */
function authType(i: InstanceStatus): number {
  const t = i.config?.auth ?? "none";
  return t === "PASS" ? 2 : t === "AH" ? 3 : 1;
}

const truth = (b: boolean) => (b ? 1 : 2);

function varbinds(source: SnmpSource): Varbind[] {
  const out: Varbind[] = [
    { oid: [...VRRP_MIB, 1, 1, 0], type: "Integer", value: 2 }, // vrrpNodeVersion
    { oid: [...VRRP_MIB, 1, 2, 0], type: "Integer", value: truth(source.config.globalDefs.enableTraps) }, // vrrpNotificationCntl
  ];
  const list = rows(source);
  const sum = (name: string) => list.reduce((n, i) => n + stat(i, name), 0);
  out.push(
    { oid: [...VRRP_MIB, 2, 1, 0], type: "Counter32", value: sum("chk_err") },
    { oid: [...VRRP_MIB, 2, 2, 0], type: "Counter32", value: sum("vers_err") },
    { oid: [...VRRP_MIB, 2, 3, 0], type: "Counter32", value: sum("vrid_err") },
  );
  for (const i of list) {
    const idx = [ifindexOf(i), i.vrid];
    const col = (c: number, type: Varbind["type"], value: Varbind["value"]) =>
      out.push({ oid: [...OPER, c, ...idx], type, value });
    if (i.mac) col(2, "OctetString", macBytes(i.mac));
    col(3, "Integer", rfcState(i.state));
    col(4, "Integer", 1); // vrrpOperAdminState up: nothing is writable
    col(5, "Integer", i.priority); // base priority
    col(6, "Integer", i.vips.length);
    col(7, "IpAddress", i.lastMaster ?? "0.0.0.0"); // master_saddr: never set while nothing was heard
    col(8, "IpAddress", i.primary ?? "0.0.0.0");
    col(9, "Integer", authType(i));
    col(11, "Integer", Math.floor(i.config?.advertInt ?? 1));
    col(12, "Integer", truth(i.preempt ?? true));
    // vrrpOperVirtualRouterUpTime: the instance's init less the agent's start (vrrp_snmp.c:
    // stats->uptime - snmp_vrrp_start_time). keel starts its instances and its agent together.
    col(13, "TimeTicks", 0);
    col(14, "Integer", 1); // vrrpOperProtocol ip
    col(15, "Integer", 1); // vrrpOperRowStatus active
    for (const v of i.vips) out.push({ oid: [...ASSO, 2, ...idx, ...addressBytes(v)], type: "Integer", value: 1 });
    STATS_COLUMNS.forEach((name, k) =>
      out.push({ oid: [...STATS, k + 1, ...idx], type: "Counter32", value: stat(i, name) }),
    );
  }
  return sortVarbinds(out);
}

/**
 * vrrpTrapNewMaster (vrrp_notify.c on entering MASTER: vrrpOperMasterIpAddr with our own
 * source address) and vrrpTrapAuthFailure (vrrp.c's auth checks: vrrpTrapPacketSrc and
 * vrrpTrapAuthErrorType), only with enable_traps and for an instance the MIB serves.
 * keel aggregates rejected packets into one rx-error event per kind and second; that
 * event raises one notification (keepalived sends one per packet).
 */
function notifications(event: Event, source: SnmpSource): Notification[] {
  if (!source.config.globalDefs.enableTraps) return [];
  const inst = rows(source).find((i) => "instance" in event && i.name === event.instance);
  if (!inst) return [];
  const idx = [ifindexOf(inst), inst.vrid];
  if (event.event === "transition" && event.to === "MASTER")
    return [
      {
        trapOid: [...VRRP_MIB, 0, 1],
        varbinds: [{ oid: [...OPER, 7, ...idx], type: "IpAddress", value: ourSource(inst) }],
      },
    ];
  if (event.event === "rx-error" && AUTH_ERROR[event.code] !== undefined)
    return [
      {
        trapOid: [...VRRP_MIB, 0, 2],
        varbinds: [
          { oid: [...VRRP_MIB, 1, 5, ...idx], type: "IpAddress", value: event.from },
          { oid: [...VRRP_MIB, 1, 6, ...idx], type: "Integer", value: AUTH_ERROR[event.code] as number },
        ],
      },
    ];
  return [];
}

export const vrrpRfc2787: MibModule = {
  name: "VRRP-MIB (RFC 2787)",
  // sysORDescr as keepalived registers it (vrrp_snmp.c: snmp_register_mib(..., "VRRP", ...))
  description: "The MIB module for VRRP",
  root: VRRP_MIB,
  varbinds,
  notifications,
};
