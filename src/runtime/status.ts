/** The `status` reply of the control protocol, read from the running engine. */
import pkg from "../../package.json";
import type { InstanceStatus, Status } from "../control/protocol";
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
] as const;

export function statusOf(driver: VrrpDriver, configFile: string, startedAt: number, last: Map<string, InstanceStatus["lastTransition"]>): Status {
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
      faults: [...inst.faults],
    });
  }
  return { version: 1, keel: pkg.version, pid: process.pid, startedAt, configFile, instances };
}
