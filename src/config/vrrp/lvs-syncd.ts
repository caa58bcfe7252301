/**
 * The IPVS sync daemon's settings: global_defs `lvs_sync_daemon`, else the deprecated
 * `lvs_sync_daemon_interface IFNAME` of a vrrp_instance. keepalived 2.2.7
 * vrrp_parser.c vrrp_lvs_syncd_handler turns the latter into the former (lvs_syncd.ifname
 * = IFNAME, lvs_syncd.vrrp = that instance, the other settings at their defaults) unless
 * one is already set ("lvs_sync_daemon_interface has already been specified as ... -
 * ignoring"); config/vrrp/check.ts reports those that are ignored. Readers at run time
 * (runtime/lvs-globals.ts, the SNMP modules) take it from here.
 */
import type { LvsSyncDaemon } from "../global/model";
import type { KeelConfig } from "../model";
import type { VrrpInstance } from "./model";

/** The instance whose lvs_sync_daemon_interface is in effect (none when global_defs sets lvs_sync_daemon). */
export function lvsSyncInstance(config: Pick<KeelConfig, "globalDefs" | "vrrpInstances">): VrrpInstance | undefined {
  if (config.globalDefs.lvsSyncDaemon) return undefined;
  return Object.values(config.vrrpInstances).find((v) => v.lvsSyncDaemonInterface !== undefined);
}

export function lvsSyncDaemonOf(config: Pick<KeelConfig, "globalDefs" | "vrrpInstances">): LvsSyncDaemon | undefined {
  const g = config.globalDefs.lvsSyncDaemon;
  if (g) return g;
  const v = lvsSyncInstance(config);
  return v?.lvsSyncDaemonInterface === undefined
    ? undefined
    : { interface: v.lvsSyncDaemonInterface, vrrpInstance: v.name };
}
