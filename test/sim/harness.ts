/**
 * The simulation tests' harness: the segment itself lives in src/simulate/segment.ts
 * (shared with `keel simulate`); this adds the config-text builders the tests use.
 */
export {
  type AdvertRec,
  EventHeap,
  type GarpRec,
  type LinkParams,
  type LogRec,
  type NodeSpec,
  type RxRec,
  Sim,
  SimNode,
  type SimOptions,
  type TransitionRec,
  configFromText,
  mulberry32,
} from "../../src/simulate/segment";

export interface InstanceOpts {
  name: string;
  ifname?: string;
  vrid: number;
  priority?: number;
  state?: "MASTER" | "BACKUP";
  advertInt?: number;
  version?: 2 | 3;
  family?: 4 | 6;
  vips?: string[];
  nopreempt?: boolean;
  preemptDelay?: number;
  /** `track_script { NAME [weight W] }` lines */
  trackScripts?: string[];
  trackInterfaces?: string[];
  unicastPeers?: string[];
  unicastSrcIp?: string;
  authPass?: string;
  /** raw lines added inside the block */
  extra?: string[];
}

/** A vrrp_instance block as keepalived.conf text. */
export function vrrpInstance(o: InstanceOpts): string {
  const family = o.family ?? 4;
  const vips = o.vips ?? [family === 4 ? `192.168.1.${o.vrid}/32` : `2001:db8::${o.vrid.toString(16)}`];
  const lines = [
    `vrrp_instance ${o.name} {`,
    `  interface ${o.ifname ?? "eth0"}`,
    `  state ${o.state ?? "BACKUP"}`,
    `  virtual_router_id ${o.vrid}`,
    `  priority ${o.priority ?? 100}`,
    `  advert_int ${o.advertInt ?? 1}`,
  ];
  if (o.version !== undefined) lines.push(`  version ${o.version}`);
  if (o.nopreempt) lines.push("  nopreempt");
  if (o.preemptDelay !== undefined) lines.push(`  preempt_delay ${o.preemptDelay}`);
  if (o.authPass !== undefined)
    lines.push("  authentication {", "    auth_type PASS", `    auth_pass ${o.authPass}`, "  }");
  if (o.unicastSrcIp !== undefined) lines.push(`  unicast_src_ip ${o.unicastSrcIp}`);
  if (o.unicastPeers) lines.push("  unicast_peer {", ...o.unicastPeers.map((p) => `    ${p}`), "  }");
  if (o.trackScripts) lines.push("  track_script {", ...o.trackScripts.map((s) => `    ${s}`), "  }");
  if (o.trackInterfaces) lines.push("  track_interface {", ...o.trackInterfaces.map((s) => `    ${s}`), "  }");
  lines.push("  virtual_ipaddress {", ...vips.map((v) => `    ${v}`), "  }");
  if (o.extra) lines.push(...o.extra.map((l) => `  ${l}`));
  lines.push("}");
  return lines.join("\n");
}

/** global_defs with the VRRP version and quiet GARP defaults unless told otherwise. */
export function globalDefs(version: 2 | 3 = 3, extra: string[] = []): string {
  return ["global_defs {", `  vrrp_version ${version}`, ...extra.map((l) => `  ${l}`), "}"].join("\n");
}

/** A vrrp_script block (the sim never runs it; results come in through `Sim.track`). */
export function vrrpScript(name: string, weight = 0, extra: string[] = []): string {
  return [
    `vrrp_script ${name} {`,
    '  script "/bin/true"',
    "  interval 1",
    `  weight ${weight}`,
    ...extra.map((l) => `  ${l}`),
    "}",
  ].join("\n");
}
