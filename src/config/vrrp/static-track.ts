/**
 * Static entries and the interfaces they tie to (keepalived 2.2.7 vrrp_static_track.c).
 *
 * - `track_group NAME` on a static_ipaddress / static_routes / static_rules entry makes
 *   every vrrp_instance of the group track the entry's interface, unweighted
 *   (static_track_group_init: add_vrrp_to_interface(vrrp, ifp, 0, ...), which also sets an
 *   existing weighted track_interface of that interface to weight 0): the instances go to
 *   FAULT while it is down. The interface is the address's own (its `dev`, else
 *   default_interface), a route's `dev` (oif; a route without one tracks nothing), a
 *   rule's `iif`. An entry with both `track_group` and `no_track` tracks nothing
 *   ("Static route has both track_group and no_track set - not tracking").
 * - Whatever the group: when an interface comes up, the static addresses and routes on it
 *   that are not `no_track` are added again (vrrp_if.c interface_up →
 *   static_track_group_reinstate_config: the kernel deletes IPv4 routes, and IPv6
 *   addresses, of a link that goes down). Rules are not (the kernel keeps them).
 *
 * Pure: the runtime asks which entries to restore, the tracker board which interfaces an
 * instance tracks.
 */
import type { KeelConfig } from "../model";
import type { Route, VirtualAddress } from "./model";

type Statics = Pick<KeelConfig, "trackGroups" | "staticIpaddresses" | "staticRoutes" | "staticRules">;

/** The interface a static address goes on: its `dev`, else default_interface (keepalived). */
export function staticAddressDev(a: VirtualAddress, defaultInterface: string): string {
  return a.dev ?? defaultInterface;
}

/** The interfaces `instance` tracks (weight 0) because a track_group of a static entry names it. */
export function staticTrackInterfaces(config: Statics, defaultInterface: string, instance: string): string[] {
  const inGroup = (o: { trackGroup?: string; noTrack?: boolean }) =>
    o.trackGroup !== undefined && !o.noTrack && (config.trackGroups[o.trackGroup]?.group.includes(instance) ?? false);
  const out = new Set<string>();
  for (const a of config.staticIpaddresses) if (inGroup(a)) out.add(staticAddressDev(a, defaultInterface));
  for (const r of config.staticRoutes) if (inGroup(r) && r.dev !== undefined) out.add(r.dev);
  for (const r of config.staticRules) if (inGroup(r) && r.iif !== undefined) out.add(r.iif);
  return [...out];
}

/** The static addresses and routes to add again when `ifname` comes up (not `no_track`). */
export function staticsToRestore(
  config: Statics,
  defaultInterface: string,
  ifname: string,
): { addresses: VirtualAddress[]; routes: Route[] } {
  return {
    addresses: config.staticIpaddresses.filter((a) => !a.noTrack && staticAddressDev(a, defaultInterface) === ifname),
    routes: config.staticRoutes.filter((r) => !r.noTrack && r.dev === ifname),
  };
}
