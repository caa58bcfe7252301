/**
 * KEEPALIVED-MIB's global part (1.3.6.1.4.1.9586.100.5.1, `keepalived` group 1), pure:
 * keepalived 2.2.7 core/snmp.c global_vars and snmp_scalar, object by object, with the
 * values keepalived computes (core/global_data.c init_global_data for the defaults).
 */
import { parseIp } from "../base/ip";
import type { KeelConfig } from "../config/model";
import type { MibModule, Oid, SnmpSource, Varbind } from "./mib";

/** KEEPALIVED-MIB::keepalived (keepalived include/snmp.h KEEPALIVED_OID) */
export const KEEPALIVED_OID: Oid = [1, 3, 6, 1, 4, 1, 9586, 100, 5];
export const GLOBAL_OID: Oid = [...KEEPALIVED_OID, 1];
/** routerId.0, which every KEEPALIVED-MIB notification carries */
export const ROUTER_ID_OID: Oid = [...GLOBAL_OID, 2, 0];

/** SNMPv2-TC TruthValue: true(1), false(2) */
export const truth = (b: boolean): number => (b ? 1 : 2);

/**
 * keepalived 2.4.3's v3ChecksumAsV2 (global 12) and vrrpInstanceV3ChecksumAsV2 (column 36),
 * KEEPALIVED-MIB revision 202212090001Z; 2.2.7 has neither the keyword nor the objects. keel
 * serves them when the configuration uses v3_checksum_as_v2 (in global_defs or an instance:
 * a 2.4 configuration), so that a 2.2.7 configuration walks as 2.2.7 serves it. auth_hmac
 * has no object in 2.4.3's KEEPALIVED-MIB, VRRP-MIB or VRRPv3-MIB: nothing is served for it.
 */
export function servesV3ChecksumAsV2(config: KeelConfig): boolean {
  return (
    config.globalDefs.v3ChecksumAsV2 || Object.values(config.vrrpInstances).some((v) => v.v3ChecksumAsV2 !== undefined)
  );
}

/** keepalived's three-valued smtp_alert (-1 unset): true(1), false(2), unset(3) */
const triState = (b: boolean | undefined): number => (b === undefined ? 3 : b ? 1 : 2);

/** router_id, or keepalived's default: the host name (set_default_router_id) */
export function routerId(source: SnmpSource): string | undefined {
  return source.config.globalDefs.routerId ?? source.host?.name;
}

/**
 * The SMTP server as keepalived stores it (a sockaddr): InetAddressType ipv4(1) for IPv4,
 * else ipv6(2), with the address bytes; an unset server is family 0, which keepalived
 * reports as type 2 with 4 zero bytes (SNMP_InetAddressType). A host name keel resolves
 * only when it sends mail, so it reads as unset here.
 */
function smtpAddress(config: KeelConfig): { type: number; bytes: Uint8Array; port: number; set: boolean } {
  const s = config.globalDefs.smtpServer;
  const ip = s === undefined ? undefined : parseIp(s.host);
  if (s === undefined || ip === undefined) return { type: 2, bytes: new Uint8Array(4), port: 0, set: false };
  return { type: ip.family === 4 ? 1 : 2, bytes: ip.bytes, port: s.port, set: true };
}

function varbinds(source: SnmpSource): Varbind[] {
  const { config, status } = source;
  const g = config.globalDefs;
  const out: Varbind[] = [];
  const at = (sub: number[], type: Varbind["type"], value: Varbind["value"]) =>
    out.push({ oid: [...GLOBAL_OID, ...sub], type, value });
  // version: keepalived's version_string ("Keepalived v2.2.7 (01/16,2022)")
  at([1, 0], "OctetString", `Keel v${status.keel}`);
  const rid = routerId(source);
  if (rid !== undefined) at([2, 0], "OctetString", rid);
  const smtp = smtpAddress(config);
  at([3, 1, 0], "Integer", smtp.type);
  at([3, 2, 0], "OctetString", smtp.bytes);
  // init_global_data: the timeout defaults only with a server (else it stays 0)
  at([3, 3, 0], "Gauge32", smtp.set ? g.smtpConnectTimeout : 0);
  const from =
    g.notificationEmailFrom ?? (smtp.set && source.host ? `${source.host.user}@${source.host.name}` : undefined);
  if (from !== undefined) at([3, 4, 0], "OctetString", from);
  g.notificationEmail.forEach((addr, i) => {
    at([3, 5, 1, 2, i + 1], "OctetString", addr);
  });
  at([3, 6, 0], "Gauge32", smtp.port);
  at([3, 7, 0], "Integer", truth(!g.noEmailFaults));
  at([3, 8, 0], "Integer", triState(g.smtpAlert));
  at([3, 9, 0], "Integer", triState(g.smtpAlertVrrp));
  at([3, 10, 0], "Integer", triState(g.smtpAlertChecker));
  at([4, 0], "Integer", truth(g.enableTraps));
  // linkBeat: polling(2) or netlink(1)
  at([5, 0], "Integer", config.linkbeatUsePolling ? 2 : 1);
  at([6, 0], "Integer", truth(g.lvsFlush));
  // ipvs64BitStats: keel reads IPVS's 64-bit counters, as keepalived built with them
  at([7, 0], "Integer", 1);
  at([8, 0], "OctetString", config.netNamespace ?? "");
  // dbus: keel has no D-Bus service, so disabled(2) whatever enable_dbus says
  at([9, 0], "Integer", 2);
  at([10, 0], "Integer", truth(g.dynamicInterfaces));
  at([11, 0], "Integer", g.lvsFlushOnStop === "full" ? 1 : g.lvsFlushOnStop === "vs" ? 3 : 2);
  if (servesV3ChecksumAsV2(config)) at([12, 0], "Integer", truth(g.v3ChecksumAsV2));
  return out;
}

export const keepalivedGlobal: MibModule = {
  name: "KEEPALIVED-MIB global",
  root: GLOBAL_OID,
  // core/snmp.c: register_sysORTable(global_oid, "The MIB module for Keepalived")
  description: "The MIB module for Keepalived",
  varbinds,
};
