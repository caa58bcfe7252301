/**
 * One VRRP instance for engine unit tests: VI_1 on eth0, VRID 7, VIP 192.0.2.7/24, built
 * from keepalived.conf text through the real parser and params; and an advert for it.
 */
import { expect } from "bun:test";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { Instance } from "../../../src/vrrp/instance";
import { type InstanceParams, instanceParams } from "../../../src/vrrp/params";
import type { ReceivedAdvert } from "../../../src/vrrp/types";

/** VI_1's params, with `body` inside its block and `global` inside global_defs */
export function params(body: string, global = "vrrp_version 3"): InstanceParams {
  const text = `global_defs {\n${global}\n}\nvrrp_instance VI_1 {\ninterface eth0\nvirtual_router_id 7\nvirtual_ipaddress {\n192.0.2.7/24\n}\n${body}\n}\n`;
  const r = parseConf("/k.conf", {
    source: memorySource({ "/k.conf": text }),
    host: { interfaceExists: () => true },
    configId: "x",
  });
  expect(r.diagnostics.errorCount).toBe(0);
  const v = r.config.vrrpInstances.VI_1;
  if (!v) throw new Error("no instance");
  return instanceParams(r.config, v, () => "10.0.0.5");
}

export function instance(body: string, global = "vrrp_version 3"): Instance {
  return new Instance(params(body, global));
}

/** a valid v3 advert for VI_1 from 10.0.0.9 (priority 100 unless `over` says) */
export function advert(over: Partial<ReceivedAdvert> = {}): ReceivedAdvert {
  return {
    version: 3,
    vrid: 7,
    priority: 100,
    advertIntCs: 100,
    authType: 0,
    addresses: ["192.0.2.7"],
    from: "10.0.0.9",
    to: "224.0.0.18",
    ttl: 255,
    ...over,
  };
}
