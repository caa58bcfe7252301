/**
 * The IPv6 link-local of an IPv6 VMAC, as keepalived 2.2.7 gives it (vrrp_vmac.c). Pure:
 * the driver (vrrp-driver.ts) asks here, then adds and deletes.
 *
 * - The kernel must not make one of its own from the VMAC's MAC (RFC 5798 7.4: the
 *   virtual MAC is no source of link-local addresses): netlink_link_add_vmac sets
 *   IFLA_INET6_ADDR_GEN_MODE NONE on every VMAC before bringing it up, and disable_ipv6
 *   on an IPv4 VMAC unless it has eVIPs of the other family (link_set_ipv6).
 * - set_link_local_address, after the VMAC is up, for an IPv6 VMAC without
 *   vmac_xmit_base: the instance's configured source (mcast_src_ip / unicast_src_ip), else
 *   the parent interface's own link-local (keepalived's interface_t sin6_addr: the first
 *   seen, source-address.ts OwnAddresses), else one made from the parent's MAC
 *   (make_link_local_address: modified EUI-64). So adverts leave from the parent's
 *   link-local with the VRRP MAC. add_link_local_address adds it /64, nodad, preferred_lft 0.
 * - keepalived_netlink.c netlink_if_address_filter keeps it in step with the parent: the
 *   parent gets its first link-local (the VMAC's is replaced by it: reset_link_local_address);
 *   the parent's own one goes and another is left (replaced by that one); none is left and
 *   the parent is up (replace_link_local_address: the one made from the parent's MAC).
 *   An instance with a configured source keeps it there.
 * The same holds for an IPv6 address VMAC (use_vmac_addr, a VIP's use_vmac) at creation;
 * keepalived does not follow its parent afterwards (its vrrp_t is a stack copy).
 */

import { formatIpv6 } from "../base/ip";

/** make_link_local_address: fe80::/64 with the modified EUI-64 of `mac` (RFC 4291 2.5.1). */
export function eui64LinkLocal(mac: Uint8Array): string {
  const b = new Uint8Array(16);
  b[0] = 0xfe;
  b[1] = 0x80;
  b.set([(mac[0] ?? 0) ^ 0x02, mac[1] ?? 0, mac[2] ?? 0, 0xff, 0xfe, mac[3] ?? 0, mac[4] ?? 0, mac[5] ?? 0], 8);
  return formatIpv6(b);
}

/**
 * set_link_local_address's choice. `configured`: the instance's IPv6 source from the
 * config; `parentOwn`: the parent's own link-local; `parentMac`: the parent's MAC.
 */
export function vmacLinkLocal(o: {
  configured?: string;
  parentOwn?: string;
  parentMac?: Uint8Array;
}): string | undefined {
  if (o.configured !== undefined) return o.configured;
  if (o.parentOwn !== undefined) return o.parentOwn;
  return o.parentMac && o.parentMac.length === 6 ? eui64LinkLocal(o.parentMac) : undefined;
}

/**
 * After a change of the parent's addresses: the VMAC's link-local from now on (`current`
 * when it stays). The parent's own link-local when it has one; else, while the parent is
 * up, the one made from its MAC; else (a parent down) what there is.
 */
export function followParent(o: {
  current: string | undefined;
  parentOwn?: string;
  parentUp: boolean;
  parentMac?: Uint8Array;
}): string | undefined {
  if (o.parentOwn !== undefined) return o.parentOwn;
  if (!o.parentUp) return o.current;
  return o.parentMac && o.parentMac.length === 6 ? eui64LinkLocal(o.parentMac) : o.current;
}
