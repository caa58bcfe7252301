/**
 * Whose route or rule a netlink deletion was, as keepalived 2.2.7 decides it
 * (keepalived_netlink.c route_is_ours / compare_rule, called from netlink_route_filter /
 * netlink_rule_filter). What the daemon then does is vrrp-driver.ts's: an instance's
 * tracked route or rule deleted under a MASTER makes it leave MASTER with a Master_Down
 * of the skew time (set_vrrp_backup); so does a rule under BACKUP, which enters BACKUP
 * again (netlink_rule_filter checks no state); in a sync group the group's other
 * MASTERs leave with it (vrrp/router.ts routeDeleted); a static one is added again
 * (reinstate_static_route / _rule). Pure: the config and the event in, the match out.
 */
import type { RouteGroups, RouteInfo, RuleInfo } from "../../native-bindings/netlink";
import { canonicalIp } from "../base/ip";
import type { Route, Rule } from "../config/vrrp/model";

/** RTPROT_KEEPALIVED: netlink_route_filter ignores any other route */
const RTPROT_KEEPALIVED = 18;
const RT_TABLE_MAIN = 254;

export interface OwnRoutes {
  /** each instance's virtual routes and rules */
  instances: { name: string; routes: Route[]; rules: Rule[] }[];
  staticRoutes: Route[];
  staticRules: Rule[];
}

export type RouteOwner = { instance: string; route: Route } | { instance?: undefined; route: Route };
export type RuleOwner = { instance: string; rule: Rule } | { instance?: undefined; rule: Rule };

function prefixOf(text: string | undefined, family: 4 | 6): { address: string; len: number } | undefined {
  if (text === undefined) return undefined;
  if (text === "default") return { address: family === 4 ? "0.0.0.0" : "::", len: 0 };
  const [a, l] = text.split("/") as [string, string | undefined];
  return { address: canonicalIp(a) ?? a, len: l === undefined ? (family === 4 ? 32 : 128) : Number(l) };
}

function sameDst(r: Route, e: RouteInfo): boolean {
  const p = prefixOf(r.dst, r.family);
  const dst = e.dst === undefined ? (e.family === 4 ? "0.0.0.0" : "::") : (canonicalIp(e.dst) ?? e.dst);
  return p !== undefined && p.len === e.prefixLen && p.address === dst;
}

/**
 * route_is_ours: table, family, prefix, tos and destination; an instance's also metric and
 * oif. Not the source prefix (`from`, RTA_SRC): keepalived 2.2.7's route_is_ours and
 * 2.4.3's compare_route never read it, so a route differing only there is ours too.
 */
export function routeOwner(
  own: OwnRoutes,
  e: RouteInfo,
  ifindexOf: (dev: string) => number | undefined,
): RouteOwner | undefined {
  if (e.protocol !== RTPROT_KEEPALIVED) return undefined;
  const common = (r: Route) =>
    (r.ids?.table ?? RT_TABLE_MAIN) === e.table &&
    r.family === e.family &&
    (r.ids?.tos ?? 0) === e.tos &&
    sameDst(r, e);
  for (const i of own.instances)
    for (const r of i.routes) {
      if (!common(r) || (r.metric ?? 0) !== e.metric) continue;
      if (r.dev !== undefined && (e.oif === undefined || ifindexOf(r.dev) !== e.oif)) continue;
      return { instance: i.name, route: r };
    }
  for (const r of own.staticRoutes) if (common(r)) return { route: r };
  return undefined;
}

function sameSide(text: string | undefined, family: 4 | 6, addr: string | undefined, len: number): boolean {
  if (text === undefined) return addr === undefined;
  const p = prefixOf(text, family);
  return addr !== undefined && p !== undefined && p.len === len && p.address === (canonicalIp(addr) ?? addr);
}

/** compare_rule, over the fields keel installs (a table action). */
function sameRule(r: Rule, e: RuleInfo): boolean {
  if (r.noTrack || r.family !== e.family || r.action !== "table") return false;
  // "a very good discriminator, since our rules will always have a priority"
  if (e.priority === undefined || r.priority !== e.priority) return false;
  if ((r.ids?.table ?? RT_TABLE_MAIN) !== e.table || !!r.not !== e.invert) return false;
  if (!sameSide(r.from, r.family, e.from, e.fromLen) || !sameSide(r.to, r.family, e.to, e.toLen)) return false;
  if ((r.ids?.tos ?? 0) !== e.tos || r.fwmark !== e.fwmark) return false;
  if ((r.fwmask ?? (e.fwmask === undefined ? undefined : 0xffffffff)) !== e.fwmask) return false;
  if ((r.ids?.realms || undefined) !== e.realms) return false;
  return r.iif === e.iif && r.oif === e.oif;
}

/** rule_is_ours: an instance's rule first, then a static one. */
export function ruleOwner(own: OwnRoutes, e: RuleInfo): RuleOwner | undefined {
  if (e.protocol !== undefined && e.protocol !== RTPROT_KEEPALIVED) return undefined;
  for (const i of own.instances) for (const r of i.rules) if (sameRule(r, e)) return { instance: i.name, rule: r };
  for (const r of own.staticRules) if (sameRule(r, e)) return { rule: r };
  return undefined;
}

/**
 * The route and rule groups to watch (vrrp.c vrrp_complete_instance and
 * process_static_entries, then set_extra_netlink_monitoring): each family's routes or rules
 * when an instance has one to track (not `no_track`) or a static one has a track_group;
 * none otherwise. keepalived works them out again at each reload (clear_summary_flags,
 * vrrp_complete_init) and joins or leaves the groups: so does the driver.
 */
export function routeGroups(own: OwnRoutes): RouteGroups {
  const g: RouteGroups = { ipv4Routes: false, ipv6Routes: false, ipv4Rules: false, ipv6Rules: false };
  const mark = (kind: "Routes" | "Rules", family: 4 | 6) => {
    g[`ipv${family}${kind}`] = true;
  };
  for (const i of own.instances) {
    for (const r of i.routes) if (!r.noTrack) mark("Routes", r.family);
    for (const r of i.rules) if (!r.noTrack) mark("Rules", r.family);
  }
  for (const r of own.staticRoutes) if (r.trackGroup !== undefined) mark("Routes", r.family);
  for (const r of own.staticRules) if (r.trackGroup !== undefined) mark("Rules", r.family);
  return g;
}

/** Whether two sets of groups are the same. */
export function sameGroups(a: RouteGroups, b: RouteGroups): boolean {
  return (
    a.ipv4Routes === b.ipv4Routes &&
    a.ipv6Routes === b.ipv6Routes &&
    a.ipv4Rules === b.ipv4Rules &&
    a.ipv6Rules === b.ipv6Rules
  );
}
