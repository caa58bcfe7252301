/**
 * VRRP numbers more than one layer needs (RFC 3768, RFC 5798, keepalived's vrrp.h).
 * src/base/ imports nothing (DESIGN.md "Layers").
 */

/** VRRP_PRIO_OWNER: the address owner; its effective priority never changes. */
export const PRIO_OWNER = 255;
/** VRRP_PRIO_STOP: a master leaving sends an advert with priority 0. */
export const PRIO_STOP = 0;
/** IP protocol number of VRRP. */
export const IPPROTO_VRRP = 112;
/** IP protocol number of AH (VRRPv2 auth_type AH). */
export const IPPROTO_AH = 51;
