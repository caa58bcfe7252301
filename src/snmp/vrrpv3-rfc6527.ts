/**
 * VRRPv3-MIB (RFC 6527, 1.3.6.1.2.1.207) as keepalived 2.2.7 serves it
 * (keepalived/vrrp/vrrp_snmp.c, _WITH_SNMP_RFCV3_). Debian builds it with
 * _SNMP_REPLY_V3_FOR_V2_, so every instance with at least one VIP has a row, VRRPv2 ones
 * too (suitable_for_rfc6527), indexed by (ifindex, VRID, address type 1 IPv4 / 2 IPv6);
 * the associated addresses add the address's 4 or 16 bytes. Discontinuity times are 0
 * ("We don't do discontinuities"). Notifications: vrrpv3NewMaster, vrrpv3ProtoError.
 */
import type { Event, InstanceStatus } from "../control/protocol";
import type { MibModule, Notification, Oid, SnmpSource, Varbind } from "./mib";
import {
  PROTO_ERROR,
  addressBytes,
  ifindexOf,
  macBytes,
  masterReason,
  ourSource,
  rfcState,
  sortVarbinds,
  stat,
  withVips,
} from "./rfc-vrrp";

export const VRRPV3_MIB: Oid = [1, 3, 6, 1, 2, 1, 207];
const OPER = [...VRRPV3_MIB, 1, 1, 1, 1];
const ASSO = [...VRRPV3_MIB, 1, 1, 2, 1];
const GLOBAL = [...VRRPV3_MIB, 1, 2];
const STATS = [...VRRPV3_MIB, 1, 2, 5, 1];

const truth = (b: boolean) => (b ? 1 : 2);
const zeros = (family: 4 | 6) => new Uint8Array(family === 4 ? 4 : 16);
const bytes = (a: string) => new Uint8Array(addressBytes(a));

/**
 * accept as vrrp_complete_instance resolves it: the configured accept / no_accept, else
 * on for the address owner and off under strict mode; a VRRPv2 non-owner under strict
 * mode is reset to off ("accept mode for VRRP version 2 does not comply with RFC3768").
 */
function accept(i: InstanceStatus, source: SnmpSource): boolean {
  const v = source.config.vrrpInstances[i.name];
  const strict = v?.strictMode ?? source.config.globalDefs.vrrpStrict;
  const owner = i.priority === 255;
  const on = v?.accept ?? (owner || !strict);
  return on && !(strict && !owner && i.version === 2);
}

function varbinds(source: SnmpSource): Varbind[] {
  const list = withVips(source.status.instances);
  const sum = (name: string) => BigInt(list.reduce((n, i) => n + stat(i, name), 0));
  const out: Varbind[] = [
    { oid: [...GLOBAL, 1, 0], type: "Counter64", value: sum("chk_err") },
    { oid: [...GLOBAL, 2, 0], type: "Counter64", value: sum("vers_err") },
    { oid: [...GLOBAL, 3, 0], type: "Counter64", value: sum("vrid_err") },
    { oid: [...GLOBAL, 4, 0], type: "TimeTicks", value: 0 },
  ];
  for (const i of list) {
    const idx = [ifindexOf(i), i.vrid, i.family === 4 ? 1 : 2];
    const col = (c: number, type: Varbind["type"], value: Varbind["value"]) =>
      out.push({ oid: [...OPER, c, ...idx], type, value });
    const primary = i.primary ? bytes(i.primary) : zeros(i.family);
    // vrrpv3OperationsMasterIpAddr: a MASTER answers its primary address, others the last master heard
    col(3, "OctetString", i.state === "MASTER" ? primary : i.lastMaster ? bytes(i.lastMaster) : zeros(i.family));
    col(4, "OctetString", primary);
    if (i.mac) col(5, "OctetString", macBytes(i.mac));
    col(6, "Integer", rfcState(i.state));
    col(7, "Gauge32", i.priority);
    col(8, "Integer", i.vips.length);
    col(9, "Integer", Math.round((i.config?.advertInt ?? 1) * 100)); // centiseconds
    col(10, "Integer", truth(i.preempt ?? true));
    col(11, "Integer", truth(accept(i, source)));
    // vrrpv3OperationsUpTime: since the instance left INIT (stats->uptime), 0 outside BACKUP/MASTER
    const up = i.state === "BACKUP" || i.state === "MASTER";
    col(12, "TimeTicks", up ? Math.max(0, Math.floor((source.now - source.status.startedAt) / 10)) : 0);
    col(13, "Integer", 1); // row status active
    for (const v of i.vips) out.push({ oid: [...ASSO, 2, ...idx, ...addressBytes(v)], type: "Integer", value: 1 });
    const s = (c: number, type: Varbind["type"], value: Varbind["value"]) =>
      out.push({ oid: [...STATS, c, ...idx], type, value });
    const c64 = (name: string) => BigInt(stat(i, name));
    s(1, "Counter32", stat(i, "become_master"));
    s(2, "Integer", masterReason(i.masterReason));
    s(3, "Counter64", c64("advert_rcvd"));
    s(4, "Counter64", c64("advert_interval_err"));
    s(5, "Counter64", c64("ip_ttl_err"));
    s(6, "Integer", PROTO_ERROR[i.protoError ?? ""] ?? 0); // the last one, noError (0) before any
    s(7, "Counter64", c64("pri_zero_rcvd"));
    s(8, "Counter64", c64("pri_zero_sent"));
    s(9, "Counter64", c64("invalid_type_rcvd"));
    s(10, "Counter64", c64("addr_list_err"));
    s(11, "Counter64", c64("packet_len_err"));
    s(12, "TimeTicks", 0);
    s(13, "Gauge32", Math.round((i.config?.advertInt ?? 1) * 100) * 10); // vrrpv3StatisticsRefreshRate, ms
  }
  return sortVarbinds(out);
}

/**
 * vrrpv3NewMaster on entering MASTER (our source address and the reason) and
 * vrrpv3ProtoError on a TTL, version, checksum or VRID error (vrrpv3StatisticsProtoErrReason
 * with that error), with enable_traps and for an instance the MIB serves.
 */
function notifications(event: Event, source: SnmpSource): Notification[] {
  if (!source.config.globalDefs.enableTraps) return [];
  const inst = withVips(source.status.instances).find((i) => "instance" in event && i.name === event.instance);
  if (!inst) return [];
  const idx = [ifindexOf(inst), inst.vrid, inst.family === 4 ? 1 : 2];
  if (event.event === "transition" && event.to === "MASTER")
    return [
      {
        trapOid: [...VRRPV3_MIB, 0, 1],
        varbinds: [
          { oid: [...OPER, 3, ...idx], type: "OctetString", value: bytes(ourSource(inst)) },
          { oid: [...STATS, 2, ...idx], type: "Integer", value: masterReason(event.reason) },
        ],
      },
    ];
  if (event.event === "rx-error" && PROTO_ERROR[event.code] !== undefined)
    return [
      {
        trapOid: [...VRRPV3_MIB, 0, 2],
        varbinds: [{ oid: [...STATS, 6, ...idx], type: "Integer", value: PROTO_ERROR[event.code] as number }],
      },
    ];
  return [];
}

export const vrrpv3Rfc6527: MibModule = {
  name: "VRRPv3-MIB (RFC 6527)",
  // sysORDescr as keepalived registers it (vrrp_snmp.c: snmp_register_mib(..., "VRRPV3", ...))
  description: "The MIB module for VRRPV3",
  root: VRRPV3_MIB,
  varbinds,
  notifications,
};
