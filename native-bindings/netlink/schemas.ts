/**
 * rtnetlink message layouts as data: the fixed family headers (struct ifaddrmsg, rtmsg,
 * fib_rule_hdr, ifinfomsg) and the attribute tables keel sends or reads. The codec
 * (codec.ts) interprets these; nothing here does I/O.
 */
import type { AttrSchema, StructSchema } from "./codec";
import * as K from "./constants";

/** struct ifaddrmsg (if_addr.h) */
export const IFADDRMSG: StructSchema = {
  name: "ifaddrmsg",
  size: 8,
  fields: [
    ["family", "u8", 0],
    ["prefixlen", "u8", 1],
    ["flags", "u8", 2],
    ["scope", "u8", 3],
    ["index", "u32", 4],
  ],
};

/** struct rtmsg (rtnetlink.h) */
export const RTMSG: StructSchema = {
  name: "rtmsg",
  size: 12,
  fields: [
    ["family", "u8", 0],
    ["dstLen", "u8", 1],
    ["srcLen", "u8", 2],
    ["tos", "u8", 3],
    ["table", "u8", 4],
    ["protocol", "u8", 5],
    ["scope", "u8", 6],
    ["type", "u8", 7],
    ["flags", "u32", 8],
  ],
};

/** struct fib_rule_hdr (fib_rules.h) */
export const FIB_RULE_HDR: StructSchema = {
  name: "fib_rule_hdr",
  size: 12,
  fields: [
    ["family", "u8", 0],
    ["dstLen", "u8", 1],
    ["srcLen", "u8", 2],
    ["tos", "u8", 3],
    ["table", "u8", 4],
    ["res1", "u8", 5],
    ["res2", "u8", 6],
    ["action", "u8", 7],
    ["flags", "u32", 8],
  ],
};

/** struct ifinfomsg (rtnetlink.h) */
export const IFINFOMSG: StructSchema = {
  name: "ifinfomsg",
  size: 16,
  fields: [
    ["family", "u8", 0],
    ["pad", "u8", 1],
    ["type", "u16", 2],
    ["index", "s32", 4],
    ["flags", "u32", 8],
    ["change", "u32", 12],
  ],
};

const ADDR = [4, 16] as const;

/** IFA_* */
export const IFA: AttrSchema = {
  name: "IFA",
  attrs: {
    address: { type: K.IFA_ADDRESS, kind: "binary", sizes: ADDR },
    local: { type: K.IFA_LOCAL, kind: "binary", sizes: ADDR },
    label: { type: K.IFA_LABEL, kind: "string" },
    broadcast: { type: K.IFA_BROADCAST, kind: "binary", sizes: [4] },
    anycast: { type: K.IFA_ANYCAST, kind: "binary", sizes: ADDR },
    cacheinfo: { type: K.IFA_CACHEINFO, kind: "binary" },
    multicast: { type: K.IFA_MULTICAST, kind: "binary", sizes: ADDR },
    flags: { type: K.IFA_FLAGS, kind: "u32" },
    rtPriority: { type: K.IFA_RT_PRIORITY, kind: "u32" },
    proto: { type: K.IFA_PROTO, kind: "u8" },
  },
};

/** RTA_* */
/**
 * RTA_METRICS's members, as keepalived's netlink_route and iproute2's iproute_modify send them:
 * each a u32 but the congestion control algorithm, a name without a NUL (rta_addattr_l with
 * strlen). rtt is in 1/8 ms, rttvar in 1/4 ms, rto_min in ms (the kernel's units).
 */
export const RTAX: AttrSchema = {
  name: "RTAX",
  attrs: {
    lock: { type: K.RTAX_LOCK, kind: "u32" },
    mtu: { type: K.RTAX_MTU, kind: "u32" },
    window: { type: K.RTAX_WINDOW, kind: "u32" },
    rtt: { type: K.RTAX_RTT, kind: "u32" },
    rttvar: { type: K.RTAX_RTTVAR, kind: "u32" },
    ssthresh: { type: K.RTAX_SSTHRESH, kind: "u32" },
    cwnd: { type: K.RTAX_CWND, kind: "u32" },
    advmss: { type: K.RTAX_ADVMSS, kind: "u32" },
    reordering: { type: K.RTAX_REORDERING, kind: "u32" },
    hoplimit: { type: K.RTAX_HOPLIMIT, kind: "u32" },
    initcwnd: { type: K.RTAX_INITCWND, kind: "u32" },
    features: { type: K.RTAX_FEATURES, kind: "u32" },
    rtoMin: { type: K.RTAX_RTO_MIN, kind: "u32" },
    initrwnd: { type: K.RTAX_INITRWND, kind: "u32" },
    quickack: { type: K.RTAX_QUICKACK, kind: "u32" },
    congctl: { type: K.RTAX_CC_ALGO, kind: "rawstring" },
    fastopenNoCookie: { type: K.RTAX_FASTOPEN_NO_COOKIE, kind: "u32" },
  },
};

export const RTA: AttrSchema = {
  name: "RTA",
  attrs: {
    dst: { type: K.RTA_DST, kind: "binary", sizes: ADDR },
    src: { type: K.RTA_SRC, kind: "binary", sizes: ADDR },
    iif: { type: K.RTA_IIF, kind: "u32" },
    oif: { type: K.RTA_OIF, kind: "u32" },
    gateway: { type: K.RTA_GATEWAY, kind: "binary", sizes: ADDR },
    priority: { type: K.RTA_PRIORITY, kind: "u32" },
    prefsrc: { type: K.RTA_PREFSRC, kind: "binary", sizes: ADDR },
    /**
     * RTAX_* attributes (RTAX above, encoded by messages.ts), not flagged NLA_F_NESTED
     * (iproute2 and keepalived do not); decoded as bytes: a route event never reads them
     */
    metrics: { type: K.RTA_METRICS, kind: "nested" },
    /** realms: FROM << 16 | TO */
    flow: { type: K.RTA_FLOW, kind: "u32" },
    table: { type: K.RTA_TABLE, kind: "u32" },
    /** struct rtvia { __kernel_sa_family_t rtvia_family; __u8 rtvia_addr[]; } */
    via: { type: K.RTA_VIA, kind: "binary", sizes: [6, 18] },
    pref: { type: K.RTA_PREF, kind: "u8" },
    /** struct rtnexthop records, each followed by its own RTA_GATEWAY/RTA_VIA, RTA_FLOW, RTA_ENCAP… */
    multipath: { type: K.RTA_MULTIPATH, kind: "binary" },
    /** enum lwtunnel_encap_types: which schema below RTA_ENCAP's payload follows */
    encapType: { type: K.RTA_ENCAP_TYPE, kind: "u16" },
    /** NLA_F_NESTED set as iproute2's lwt_parse_encap sets it (keepalived's rta_nest does not; the kernel ignores the bit) */
    encap: { type: K.RTA_ENCAP, kind: "nested", flags: K.NLA_F_NESTED },
    /** seconds (IPv6 only: the kernel sets the route's expiry from it) */
    expires: { type: K.RTA_EXPIRES, kind: "u32" },
    ttlPropagate: { type: K.RTA_TTL_PROPAGATE, kind: "u8" },
  },
};

/**
 * RTA_ENCAP payloads (lwtunnel.h, mpls_iptunnel.h, ila.h), the attributes keepalived's
 * vrrp_iproute.c add_encap_ip / _ip6 / _mpls / _ila send. The tunnel id travels in network
 * order (htobe64); LWTUNNEL_IP_FLAGS in host order, as keepalived's rta_addattr16 sends it.
 */
export const LWT_IP: AttrSchema = {
  name: "LWTUNNEL_IP",
  attrs: {
    id: { type: K.LWTUNNEL_IP_ID, kind: "binary", sizes: [8] },
    dst: { type: K.LWTUNNEL_IP_DST, kind: "binary", sizes: [4] },
    src: { type: K.LWTUNNEL_IP_SRC, kind: "binary", sizes: [4] },
    tos: { type: K.LWTUNNEL_IP_TOS, kind: "u8" },
    ttl: { type: K.LWTUNNEL_IP_TTL, kind: "u8" },
    flags: { type: K.LWTUNNEL_IP_FLAGS, kind: "u16" },
  },
};
export const LWT_IP6: AttrSchema = {
  name: "LWTUNNEL_IP6",
  attrs: {
    id: { type: K.LWTUNNEL_IP_ID, kind: "binary", sizes: [8] },
    dst: { type: K.LWTUNNEL_IP_DST, kind: "binary", sizes: [16] },
    src: { type: K.LWTUNNEL_IP_SRC, kind: "binary", sizes: [16] },
    tc: { type: K.LWTUNNEL_IP6_TC, kind: "u8" },
    hoplimit: { type: K.LWTUNNEL_IP6_HOPLIMIT, kind: "u8" },
    flags: { type: K.LWTUNNEL_IP_FLAGS, kind: "u16" },
  },
};
export const LWT_MPLS: AttrSchema = {
  name: "MPLS_IPTUNNEL",
  /** struct mpls_label entries, network order: label << 12 | bottom-of-stack << 8 */
  attrs: { dst: { type: K.MPLS_IPTUNNEL_DST, kind: "binary" } },
};
export const LWT_ILA: AttrSchema = {
  name: "ILA",
  /** the 64-bit locator, network order */
  attrs: { locator: { type: K.ILA_ATTR_LOCATOR, kind: "binary", sizes: [8] } },
};

/** FRA_* */
export const FRA: AttrSchema = {
  name: "FRA",
  attrs: {
    dst: { type: K.FRA_DST, kind: "binary", sizes: ADDR },
    src: { type: K.FRA_SRC, kind: "binary", sizes: ADDR },
    iifname: { type: K.FRA_IIFNAME, kind: "string" },
    goto: { type: K.FRA_GOTO, kind: "u32" },
    priority: { type: K.FRA_PRIORITY, kind: "u32" },
    fwmark: { type: K.FRA_FWMARK, kind: "u32" },
    flow: { type: K.FRA_FLOW, kind: "u32" },
    tunId: { type: K.FRA_TUN_ID, kind: "u64" },
    suppressIfgroup: { type: K.FRA_SUPPRESS_IFGROUP, kind: "u32" },
    suppressPrefixlen: { type: K.FRA_SUPPRESS_PREFIXLEN, kind: "u32" },
    table: { type: K.FRA_TABLE, kind: "u32" },
    fwmask: { type: K.FRA_FWMASK, kind: "u32" },
    oifname: { type: K.FRA_OIFNAME, kind: "string" },
    l3mdev: { type: K.FRA_L3MDEV, kind: "u8" },
    protocol: { type: K.FRA_PROTOCOL, kind: "u8" },
  },
};

/** IFLA_MACVLAN_* (inside IFLA_INFO_DATA when IFLA_INFO_KIND is "macvlan") */
export const IFLA_MACVLAN: AttrSchema = {
  name: "IFLA_MACVLAN",
  attrs: {
    mode: { type: K.IFLA_MACVLAN_MODE, kind: "u32" },
    flags: { type: K.IFLA_MACVLAN_FLAGS, kind: "u16" },
  },
};

/** IFLA_IPVLAN_* (inside IFLA_INFO_DATA when IFLA_INFO_KIND is "ipvlan") */
export const IFLA_IPVLAN: AttrSchema = {
  name: "IFLA_IPVLAN",
  attrs: {
    mode: { type: K.IFLA_IPVLAN_MODE, kind: "u16" },
    flags: { type: K.IFLA_IPVLAN_FLAGS, kind: "u16" },
  },
};

/** IFLA_INFO_* (inside IFLA_LINKINFO). INFO_DATA's layout depends on the kind, so it stays bytes here. */
export const IFLA_INFO: AttrSchema = {
  name: "IFLA_INFO",
  attrs: {
    kind: { type: K.IFLA_INFO_KIND, kind: "rawstring" },
    data: { type: K.IFLA_INFO_DATA, kind: "nested" },
    slaveKind: { type: K.IFLA_INFO_SLAVE_KIND, kind: "rawstring" },
  },
};

/** IFLA_* */
export const IFLA: AttrSchema = {
  name: "IFLA",
  attrs: {
    address: { type: K.IFLA_ADDRESS, kind: "binary" },
    broadcast: { type: K.IFLA_BROADCAST, kind: "binary" },
    ifname: { type: K.IFLA_IFNAME, kind: "string" },
    mtu: { type: K.IFLA_MTU, kind: "u32" },
    link: { type: K.IFLA_LINK, kind: "u32" },
    master: { type: K.IFLA_MASTER, kind: "u32" },
    operstate: { type: K.IFLA_OPERSTATE, kind: "u8" },
    linkinfo: { type: K.IFLA_LINKINFO, kind: "nested", nested: IFLA_INFO },
    group: { type: K.IFLA_GROUP, kind: "u32" },
    extMask: { type: K.IFLA_EXT_MASK, kind: "u32" },
  },
};
