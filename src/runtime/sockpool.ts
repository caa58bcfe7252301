/**
 * keepalived 2.2.7's VRRP socket pool as its -D dump names it (vrrp_scheduler.c
 * vrrp_dispatcher_init → vrrp_data.c dump_sock_list, at a start and after a reload): one
 * entry per (family, protocol, interface, unicast source or multicast group), in the order
 * the instances first need it (vrrp_create_sockpool / already_exist_sock). The interface is
 * the one adverts leave by: a VMAC's own, its base with vmac_xmit_base (keel's `sendIf`).
 * keel's own sockets are fewer (one per interface, family and protocol, unicast and multicast
 * instances on one), so the dump is keepalived's pool worked out from the instances, not a
 * list of keel's descriptors; without keepalived's "fd(IN,OUT) ". Pure.
 */

export interface PoolMember {
  family: 4 | 6;
  proto: 112 | 51;
  /** the interface adverts leave by; undefined: an interfaceless unicast instance */
  ifname?: string;
  /** unicast: the instance's source address (keepalived's vrrp->saddr) */
  unicastSrc?: string;
  /** multicast: its group (mcast_dst_ip, else vrrp_mcast_group4/6) */
  mcastGroup: string;
  /** an interfaceless instance's socket: keel's own " bound to A[ in VRF V]" after the line */
  bound?: { source: string; vrf?: string };
}

/** dump_sock's lines, one per pool entry. `ifindexOf`: a missing interface's is 0, as keepalived's. */
export function sockpoolLines(members: PoolMember[], ifindexOf: (ifname: string) => number | undefined): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const m of members) {
    const unicast = m.unicastSrc !== undefined;
    const address = unicast ? (m.unicastSrc as string) : m.mcastGroup;
    const key = `${m.family}|${m.proto}|${m.ifname ?? ""}|${m.bound?.vrf ?? ""}|${unicast ? "u" : "m"}|${address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const index = String((m.ifname === undefined ? 0 : ifindexOf(m.ifname)) ?? 0).padStart(3);
    // "%sicast" with ", un" or "mult"
    const kind = unicast ? ", unicast" : "multicast";
    const b = m.bound;
    const bound = b ? ` bound to ${b.source}${b.vrf ? ` in VRF ${b.vrf}` : ""}` : "";
    lines.push(
      `VRRP sockpool: [ifindex(${index}), family(IPv${m.family}), proto(${m.proto}), ${kind}, address(${address})]${bound}`,
    );
  }
  return lines;
}
