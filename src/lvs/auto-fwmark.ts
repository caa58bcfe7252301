/**
 * nftables_ipvs's fwmarks (keepalived 2.2.7 check_nftables.c get_next_fwmark /
 * set_vs_fwmark, ipvswrapper.c ipvs_cmd): a virtual_server whose service is a
 * virtual_server_group with address ranges and no `fwmark` entry gets one fwmark per
 * (group, protocol), and IPVS holds one fwmark service per address family of the group
 * instead of one service per address. The marks are numbered from
 * nftables_ipvs_start_fwmark (default 1000) in the order the virtual servers are added
 * (config order), the counter never going back (it is static in keepalived: a reload
 * keeps a group's mark, clear_diff_vsg, and a new group takes the next number). A
 * group with a `fwmark` entry keeps keepalived's per-entry services. Pure.
 */
import { familyOf } from "../config/lvs/addr";
import type { VirtualServer, VirtualServerGroup } from "../config/lvs/model";
import type { KeelConfig } from "../config/model";
import type { Protocol } from "./table";

export interface AutoFwmarks {
  /** `group|protocol` → fwmark */
  marks: ReadonlyMap<string, number>;
  /** the next mark to hand out (keepalived's static next_fwmark) */
  next: number;
}

export const markKey = (group: string, protocol: Protocol): string => `${group}|${protocol}`;

/** The group a virtual server's auto fwmark would cover, if it gets one. */
export function autoFwmarkGroup(
  cfg: Pick<KeelConfig, "virtualServerGroups">,
  vs: VirtualServer,
): VirtualServerGroup | undefined {
  if (vs.service.kind !== "group") return undefined;
  const g = cfg.virtualServerGroups[vs.service.group];
  // ipvs_cmd: list_empty(&vs->vsg->vfwmark); a group without ranges has nothing to mark
  if (!g || g.entries.some((e) => e.kind === "fwmark") || g.entries.length === 0) return undefined;
  return g;
}

/** The mark of each (group, protocol) of `cfg`; `before`: the marks before a reload. */
export function assignAutoFwmarks(
  cfg: Pick<KeelConfig, "virtualServerGroups" | "virtualServers">,
  start: number,
  before?: AutoFwmarks,
): AutoFwmarks {
  const marks = new Map<string, number>();
  let next = before?.next ?? start;
  for (const vs of cfg.virtualServers) {
    const g = autoFwmarkGroup(cfg, vs);
    if (!g) continue;
    const key = markKey(g.name, vs.protocol ?? "UDP");
    if (marks.has(key)) continue;
    const old = before?.marks.get(key);
    if (old !== undefined) marks.set(key, old);
    else marks.set(key, next++);
  }
  return { marks, next };
}

/** The address families of a group's ranges, IPv4 first (ipvs_cmd adds the IPv6 service second). */
export function groupFamilies(g: VirtualServerGroup): (4 | 6)[] {
  const fams = new Set<4 | 6>();
  for (const e of g.entries) if (e.kind === "range") fams.add(familyOf(e.first) ?? 4);
  return ([4, 6] as const).filter((f) => fams.has(f));
}
