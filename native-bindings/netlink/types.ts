/** The rtnetlink API's data types (see rtnl.ts and monitor.ts for the operations). */

export interface AddressSpec {
  ifindex: number;
  /**
   * The interface's name when the caller knows it (the driver's link table); else Rtnl
   * asks if_indextoname. Checks the label and names the interface in errors.
   */
  ifname?: string;
  family: 4 | 6;
  address: string;
  prefixLen: number;
  /** IPv4 only (IPv6 has no labels; ignored there); must start with the interface name */
  label?: string;
  /** RT_SCOPE_* value; default RT_SCOPE_UNIVERSE */
  scope?: number;
  /** IPv4 only */
  broadcast?: string;
  peer?: string;
  /** IFA_F_NODAD */
  nodad?: boolean;
  /** IFA_F_NOPREFIXROUTE */
  noprefixroute?: boolean;
  /**
   * IFA_CACHEINFO's preferred lifetime (s; valid stays forever): 0 makes an IPv6 address
   * deprecated, as keepalived adds a VMAC's link-local (netlink_ipaddress)
   */
  preferredLft?: number;
}

export interface RouteSpec {
  family: 4 | 6;
  dst?: string;
  /** default: a host route (32 / 128) when dst is given */
  prefixLen?: number;
  /** default RT_TABLE_MAIN */
  table?: number;
  metric?: number;
  via?: string;
  ifindex?: number;
  /** preferred source (RTA_PREFSRC, `ip route ... src`) */
  src?: string;
  /** default RT_SCOPE_UNIVERSE on add (as keepalived), RT_SCOPE_NOWHERE (wildcard) on delete */
  scope?: number;
  /** default RTPROT_KEEPALIVED (18), on add and delete, as keepalived */
  protocol?: number;
  /** default unicast on add; on delete only matched when given */
  type?: "unicast" | "blackhole" | "unreachable" | "prohibit" | "local";
  /** rtm_tos (`tos`/`dsfield`) */
  tos?: number;
  /** RTA_FLOW: FROM realm << 16 | TO realm */
  realms?: number;
  /** rtm_flags RTNH_F_ONLINK (`onlink`) */
  onlink?: boolean;
  /** RTA_ENCAP + RTA_ENCAP_TYPE (`encap ...`) */
  encap?: EncapSpec;
  /** RTA_MULTIPATH (`nexthop ...` groups), in order */
  nexthops?: NexthopSpec[];
  /** RTA_SRC + rtm_src_len: the source prefix (`from`, IPv6 subtrees) */
  from?: string;
  /** default: a host prefix when `from` is given */
  fromLen?: number;
  /** RTA_PREF, ICMPV6_ROUTER_PREF_* (`pref low|medium|high|N`, IPv6) */
  pref?: number;
  /** RTA_EXPIRES, seconds (IPv6) */
  expires?: number;
  /** RTA_TTL_PROPAGATE (`ttl-propagate enabled|disabled`, MPLS encap) */
  ttlPropagate?: boolean;
  /** RTA_METRICS */
  metrics?: RouteMetrics;
  /**
   * How RTM_NEWROUTE adds it (nlmsg_flags, keepalived's netlink_route): "add" NLM_F_CREATE|
   * NLM_F_EXCL (the default here, as `ip route add`), "prepend" NLM_F_CREATE (keepalived's
   * default: before an existing route of the same key), "append" NLM_F_CREATE|NLM_F_APPEND
   */
  mode?: "add" | "prepend" | "append";
}

/**
 * A route's RTA_METRICS, in the kernel's units (keepalived's parser converts: rtt in 1/8 ms,
 * rttvar in 1/4 ms, rto_min in ms). `lock` holds 1 << RTAX_x for each locked metric.
 */
export interface RouteMetrics {
  congctl?: string;
  rtt?: number;
  rttvar?: number;
  rtoMin?: number;
  /** RTAX_FEATURE_* bits */
  features?: number;
  mtu?: number;
  window?: number;
  ssthresh?: number;
  cwnd?: number;
  advmss?: number;
  reordering?: number;
  hoplimit?: number;
  initcwnd?: number;
  initrwnd?: number;
  quickack?: number;
  fastopenNoCookie?: number;
  lock?: number;
}

/** A lightweight tunnel encapsulation, as keepalived's vrrp_iproute.c add_encap sends it. */
export type EncapSpec =
  | {
      type: "ip" | "ip6";
      /** LWTUNNEL_IP_ID, 0..2^64-1 */
      id?: bigint;
      dst?: string;
      src?: string;
      /** LWTUNNEL_IP_TOS (ip) / LWTUNNEL_IP6_TC (ip6) */
      tos?: number;
      /** LWTUNNEL_IP_TTL (ip) / LWTUNNEL_IP6_HOPLIMIT (ip6) */
      ttl?: number;
      /** LWTUNNEL_IP_FLAGS, sent in host byte order as keepalived does */
      flags?: number;
    }
  /** the label stack, outermost first (0..2^20-1 each); keepalived sends an empty one after a bad stack */
  | { type: "mpls"; labels: number[] }
  /** the locator as four 16-bit hex groups, "2001:db8:1:2" */
  | { type: "ila"; locator: string };

/** One next hop of a multipath route: a struct rtnexthop and its attributes. */
export interface NexthopSpec {
  via?: string;
  ifindex?: number;
  /** 1..256 (rtnh_hops = weight - 1) */
  weight?: number;
  onlink?: boolean;
  /** RTA_FLOW: FROM realm << 16 | TO realm */
  realms?: number;
  encap?: EncapSpec;
}

export interface RuleSpec {
  family: 4 | 6;
  from?: string;
  fromLen?: number;
  to?: string;
  toLen?: number;
  /** 0 means main, as keepalived */
  table: number;
  priority?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  invert?: boolean;
  tos?: number;
  /** FRA_FLOW: FROM realm << 16 | TO realm */
  realms?: number;
  /** FRA_PROTOCOL (keepalived's tracked rules: RTPROT_KEEPALIVED) */
  protocol?: number;
}

export interface LinkInfo {
  ifindex: number;
  name: string;
  flags: number;
  /** IFF_UP */
  up: boolean;
  /** IFF_RUNNING */
  running: boolean;
  /** IFF_LOWER_UP */
  lowerUp: boolean;
  mac?: Uint8Array;
  mtu?: number;
  /** IFLA_INFO_KIND ("macvlan", "veth", ...) */
  kind?: string;
  /** IFLA_LINK */
  link?: number;
  /** IFLA_MASTER (a bridge, bond or VRF the link is enslaved to) */
  master?: number;
  /** IFLA_OPERSTATE (RFC 2863: 2 down, 6 up, ...) */
  operstate?: number;
  /** a macvlan's IFLA_MACVLAN_MODE (MACVLAN_MODE_PRIVATE 1, VEPA 2, BRIDGE 4, PASSTHRU 8) */
  macvlanMode?: number;
}

export interface AddressInfo {
  ifindex: number;
  family: 4 | 6;
  address: string;
  prefixLen: number;
  label?: string;
  scope: number;
  /** IFA_FLAGS when present, else ifa_flags */
  flags: number;
}

/** The route and rule groups to join (keepalived set_extra_netlink_monitoring's four flags). */
export interface RouteGroups {
  ipv4Routes: boolean;
  ipv6Routes: boolean;
  ipv4Rules: boolean;
  ipv6Rules: boolean;
}

export type RtnlEvent =
  | { type: "link"; action: "new" | "del"; link: LinkInfo }
  /** `own`: caused by a request on the watch's `ownPort` (its nlmsg_pid; IPv4 carries it, IPv6's notifications 0) */
  | { type: "addr"; action: "new" | "del"; addr: AddressInfo; own?: boolean }
  | { type: "route-del"; route: RouteInfo }
  | { type: "rule-del"; rule: RuleInfo };

/** An RTM_DELROUTE, with what keepalived's route_is_ours compares. */
export interface RouteInfo {
  family: 4 | 6;
  /** undefined: the default route */
  dst?: string;
  prefixLen: number;
  /** RTA_TABLE, else rtm_table */
  table: number;
  tos: number;
  protocol: number;
  /** RTA_PRIORITY, 0 when absent */
  metric: number;
  oif?: number;
}

/** An RTM_DELRULE, with what keepalived's compare_rule compares (of what keel sets). */
export interface RuleInfo {
  family: 4 | 6;
  from?: string;
  fromLen: number;
  to?: string;
  toLen: number;
  /** FRA_TABLE, else the header's table */
  table: number;
  tos: number;
  action: number;
  invert: boolean;
  priority?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  realms?: number;
  protocol?: number;
}
