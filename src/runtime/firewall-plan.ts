/**
 * The VRRP firewall (vrrp_strict / no_accept) as keepalived 2.2.7 builds it with
 * nftables (vrrp_nftables.c), as data: which nf_tables operations bring the kernel from
 * one state to the next. Pure: the state is a value, every step returns the operations
 * and the state after them (the caller keeps it only when the kernel applied them).
 *
 * The rules, as keepalived has them:
 * - An instance needs the firewall when it does not own its addresses (priority < 255)
 *   and is not in accept mode. Accept defaults to off in strict mode (on for an owner),
 *   and strict VRRPv2 turns a configured `accept` off (RFC 3768 has no accept mode):
 *   vrrp.c vrrp_complete_instance.
 * - While such an instance is MASTER its VIPs (and excluded VIPs) are elements of the
 *   table's sets, and the rules drop traffic to and from them: "setting firewall drop
 *   rule" before the VIPs go up, "removing" after they go (vrrp_state_become_master,
 *   vrrp_restore_interface).
 * - Tables are built on first use, per family: the table and its `out` chain, then the
 *   `in` chain, the `vips` set and the drop rules; IPv6 adds the neighbour-discovery
 *   accept rules and the link-local chains; a link-local VIP's set (by interface index,
 *   or by name with dont_track_primary unless nftables_ifindex) and its rules come with
 *   its first address. A table of that name found at the first setup is deleted first
 *   (check_and_delete_tables). At stop both tables go (nft_cleanup); a VIP removed from
 *   the sets leaves the table in place.
 * - A VMAC (use_vmac, strict or not) gets its rules as it is made (addVmac below:
 *   vrrp_nftables.c nft_add_vmac), so they come before any VIP rule of its chain.
 */
import type { KeelConfig } from "../config/model";
import type { VrrpInstance } from "../config/vrrp/model";
import type { Expr, NftFamily, NftOp } from "../../native-bindings/nftables";
// the constants only: the codec and socket (messages.ts, nftables.ts) come with nft-port.ts,
// when a firewall is opened, not at every start (issue 20)
import * as nft from "../../native-bindings/nftables/constants";
import { parseAddress } from "../base/ip";

export interface FirewallSettings {
  table: string;
  /** chain priority (nftables_priority; keepalived's default -1) */
  priority: number;
  counters: boolean;
  /** nftables_ifindex: link-local VIPs always by interface index */
  ifindex: boolean;
}

/** The effective accept mode of an instance (keepalived vrrp_complete_instance). */
export function acceptMode(config: KeelConfig, v: VrrpInstance, version: 2 | 3): boolean {
  const owner = v.priority === 255;
  const strict = v.strictMode ?? config.globalDefs.vrrpStrict;
  const accept = v.accept ?? (owner ? true : !strict);
  return accept && !(strict && version === 2 && !owner);
}

export function needsFirewall(config: KeelConfig, v: VrrpInstance, version: 2 | 3): boolean {
  return v.priority !== 255 && !acceptMode(config, v, version);
}

export function firewallSettings(config: KeelConfig): FirewallSettings {
  const g = config.globalDefs;
  return {
    table: g.nftables ?? "keepalived",
    priority: g.nftablesPriority,
    counters: g.nftablesCounters,
    ifindex: g.nftablesIfindex,
  };
}

/** One VIP in the firewall's sets. */
export interface FirewallAddress {
  address: string;
  family: NftFamily;
  ifindex: number;
  ifname: string;
  /** a link-local VIP keyed by interface name (dont_track_primary, not nftables_ifindex) */
  byName: boolean;
}

export interface FirewallState {
  v4Table: boolean;
  v4Vips: boolean;
  v6Table: boolean;
  v6Vips: boolean;
  llIndex: boolean;
  llName: boolean;
  /** the VMAC map, set and rules of a family (keepalived's ipv4_igmp_setup / ipv6_igmp_setup) */
  v4Vmac: boolean;
  v6Vmac: boolean;
  /** element (set|key hex) → the `instance|address` entries that put it there */
  elements: ReadonlyMap<string, ReadonlySet<string>>;
  /** `family|VMAC ifindex` → its base interface's ifindex, as in the VMAC map */
  vmacs: ReadonlyMap<string, number>;
}

export const EMPTY: FirewallState = {
  v4Table: false,
  v4Vips: false,
  v6Table: false,
  v6Vips: false,
  llIndex: false,
  llName: false,
  v4Vmac: false,
  v6Vmac: false,
  elements: new Map(),
  vmacs: new Map(),
};

export interface Step {
  ops: NftOp[];
  next: FirewallState;
}

const isLinkLocal = (a: FirewallAddress) => {
  const b = a.family === 6 ? parseAddress(6, a.address) : undefined;
  return b !== undefined && b[0] === 0xfe && (b[1] ?? 0) >> 6 === 2;
};

function setOf(a: FirewallAddress): string {
  if (a.family === 4 || !isLinkLocal(a)) return "vips";
  return a.byName ? "vips_link_local_name" : "vips_link_local";
}

function keyOf(a: FirewallAddress): Uint8Array {
  const ip = parseAddress(a.family, a.address) ?? new Uint8Array(a.family === 4 ? 4 : 16);
  const set = setOf(a);
  if (set === "vips") return ip;
  const k = new Uint8Array(set === "vips_link_local" ? 20 : 16 + nft.IFNAMSIZ);
  k.set(ip);
  if (set === "vips_link_local") new DataView(k.buffer).setUint32(16, a.ifindex, true);
  else k.set(new TextEncoder().encode(a.ifname).subarray(0, nft.IFNAMSIZ - 1), 16);
  return k;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// ---------------------------------------------------------------- rules

const V4 = { saddr: 12, daddr: 16, len: 4 };
const V6 = { saddr: 8, daddr: 24, len: 16, nexthdr: 6 };

function tail(s: FirewallSettings, verdict: Expr): Expr[] {
  return s.counters ? [{ expr: "counter" }, verdict] : [verdict];
}
const DROP: Expr = { expr: "verdict", verdict: { kind: "drop" } };

/** `ip[6] {s,d}addr @vips drop` */
function vipsRule(s: FirewallSettings, family: NftFamily, chain: "in" | "out"): NftOp {
  const f = family === 4 ? V4 : V6;
  return {
    op: "new-rule",
    family,
    table: s.table,
    chain,
    exprs: [
      { expr: "payload", base: "network", offset: chain === "in" ? f.daddr : f.saddr, len: f.len, dreg: nft.NFT_REG_1 },
      { expr: "lookup", sreg: nft.NFT_REG_1, set: "vips" },
      ...tail(s, DROP),
    ],
  };
}

/** `ip6 nexthdr ipv6-icmp icmpv6 type @neighbor-discovery accept` (keepalived's setup_rule_icmpv6) */
function ndRule(s: FirewallSettings, chain: "in" | "out"): NftOp {
  return {
    op: "new-rule",
    family: 6,
    table: s.table,
    chain,
    exprs: [
      { expr: "payload", base: "network", offset: V6.nexthdr, len: 1, dreg: nft.NFT_REG_1 },
      { expr: "cmp-eq", sreg: nft.NFT_REG_1, data: Uint8Array.of(58) },
      { expr: "payload", base: "transport", offset: 0, len: 1, dreg: nft.NFT_REG_1 },
      { expr: "lookup", sreg: nft.NFT_REG_1, set: "neighbor-discovery" },
      ...tail(s, { expr: "verdict", verdict: { kind: "accept" } }),
    ],
  };
}

/** `ip6 {s,d}addr fe80::/10 goto {out,in}_link_local` */
function linkLocalGoto(s: FirewallSettings, chain: "in" | "out"): NftOp {
  const mask = new Uint8Array(16);
  mask.set([0xff, 0xc0]);
  const fe80 = new Uint8Array(16);
  fe80.set([0xfe, 0x80]);
  return {
    op: "new-rule",
    family: 6,
    table: s.table,
    chain,
    exprs: [
      { expr: "payload", base: "network", offset: chain === "in" ? V6.daddr : V6.saddr, len: 16, dreg: nft.NFT_REG_1 },
      { expr: "bitwise", sreg: nft.NFT_REG_1, dreg: nft.NFT_REG_1, mask, xor: new Uint8Array(16) },
      { expr: "cmp-eq", sreg: nft.NFT_REG_1, data: fe80 },
      ...tail(s, { expr: "verdict", verdict: { kind: "goto", chain: `${chain}_link_local` } }),
    ],
  };
}

/** `ip6 daddr . iif @set drop` / `ip6 saddr . oifname @set drop` (setup_rule_if) */
function linkLocalRule(s: FirewallSettings, chain: "in" | "out", byName: boolean): NftOp {
  const key =
    chain === "in"
      ? byName
        ? nft.NFT_META.IIFNAME
        : nft.NFT_META.IIF
      : byName
        ? nft.NFT_META.OIFNAME
        : nft.NFT_META.OIF;
  return {
    op: "new-rule",
    family: 6,
    table: s.table,
    chain: `${chain}_link_local`,
    exprs: [
      { expr: "payload", base: "network", offset: chain === "in" ? V6.daddr : V6.saddr, len: 16, dreg: nft.NFT_REG_1 },
      { expr: "meta", key, dreg: nft.NFT_REG_2 },
      { expr: "lookup", sreg: nft.NFT_REG_1, set: byName ? "vips_link_local_name" : "vips_link_local" },
      ...tail(s, DROP),
    ],
  };
}

// ---------------------------------------------------------------- setup

function hooked(s: FirewallSettings, family: NftFamily, chain: "in" | "out"): NftOp {
  const hook = chain === "in" ? "input" : "output";
  return { op: "new-chain", family, table: s.table, chain, hook: { hook, priority: s.priority } };
}

/** nft_setup_ipv4 / nft_setup_ipv6: the table and its `out` chain (an old table of the name goes first). */
function setupTable(
  s: FirewallSettings,
  st: FirewallState,
  family: NftFamily,
  exists: (f: NftFamily) => boolean,
): NftOp[] {
  const ops: NftOp[] = [];
  if (!st.v4Table && !st.v6Table)
    for (const f of [4, 6] as const) if (exists(f)) ops.push({ op: "del-table", family: f, table: s.table });
  ops.push({ op: "new-table", family, table: s.table }, hooked(s, family, "out"));
  return ops;
}

function setupV4Vips(s: FirewallSettings): NftOp[] {
  return [
    hooked(s, 4, "in"),
    { op: "new-set", family: 4, table: s.table, set: "vips", keyType: nft.NFT_TYPE.IPADDR, keyLen: 4 },
    vipsRule(s, 4, "in"),
    vipsRule(s, 4, "out"),
  ];
}

function setupV6Vips(s: FirewallSettings): NftOp[] {
  const t = s.table;
  return [
    hooked(s, 6, "in"),
    { op: "new-chain", family: 6, table: t, chain: "in_link_local" },
    { op: "new-chain", family: 6, table: t, chain: "out_link_local" },
    { op: "new-set", family: 6, table: t, set: "vips", keyType: nft.NFT_TYPE.IP6ADDR, keyLen: 16 },
    {
      op: "new-set",
      family: 6,
      table: t,
      set: "neighbor-discovery",
      keyType: nft.NFT_TYPE.ICMPV6_TYPE,
      keyLen: 1,
      constant: true,
      size: 2,
    },
    // nd-neighbor-solicit, nd-neighbor-advert (RFC 4861 types 135, 136)
    { op: "new-elems", family: 6, table: t, set: "neighbor-discovery", keys: [Uint8Array.of(135), Uint8Array.of(136)] },
    ndRule(s, "in"),
    linkLocalGoto(s, "in"),
    ndRule(s, "out"),
    linkLocalGoto(s, "out"),
    vipsRule(s, 6, "in"),
    vipsRule(s, 6, "out"),
  ];
}

/** setup_link_local_checks */
function setupLinkLocal(s: FirewallSettings, byName: boolean): NftOp[] {
  const ifType = byName ? nft.NFT_TYPE.IFNAME : nft.NFT_TYPE.IFINDEX;
  return [
    {
      op: "new-set",
      family: 6,
      table: s.table,
      set: byName ? "vips_link_local_name" : "vips_link_local",
      keyType: (nft.NFT_TYPE.IP6ADDR << nft.NFT_TYPE_BITS) | ifType,
      keyLen: byName ? 16 + nft.IFNAMSIZ : 20,
    },
    linkLocalRule(s, "in", byName),
    linkLocalRule(s, "out", byName),
  ];
}

const ELEMENTS_PER_MESSAGE = 1000;
const SET_ORDER = ["4|vips", "6|vips", "6|vips_link_local", "6|vips_link_local_name"];

/**
 * An instance's VIPs into the sets (nft_add_addresses): the tables and sets they need
 * first, then one element message per set. An element already there for another
 * instance is not sent again.
 */
export function addAddresses(
  s: FirewallSettings,
  st: FirewallState,
  instance: string,
  addrs: readonly FirewallAddress[],
  exists: (f: NftFamily) => boolean,
): Step {
  const next = { ...st, elements: new Map([...st.elements].map(([k, v]) => [k, new Set(v)])) };
  const ops: NftOp[] = [];
  const keys = new Map<string, Uint8Array[]>();
  for (const a of addrs) {
    const set = setOf(a);
    const key = keyOf(a);
    const id = `${a.family}|${set}|${hex(key)}`;
    const holders = next.elements.get(id) ?? new Set<string>();
    const had = holders.size > 0;
    holders.add(`${instance}|${a.address}`);
    next.elements.set(id, holders);
    if (had) continue;
    if (a.family === 4) {
      if (!next.v4Table) ops.push(...setupTable(s, next, 4, exists));
      if (!next.v4Vips) ops.push(...setupV4Vips(s));
      next.v4Table = next.v4Vips = true;
    } else {
      if (!next.v6Table) ops.push(...setupTable(s, next, 6, exists));
      if (!next.v6Vips) ops.push(...setupV6Vips(s));
      next.v6Table = next.v6Vips = true;
      if (set === "vips_link_local" && !next.llIndex) ops.push(...setupLinkLocal(s, false));
      if (set === "vips_link_local_name" && !next.llName) ops.push(...setupLinkLocal(s, true));
      if (set === "vips_link_local") next.llIndex = true;
      if (set === "vips_link_local_name") next.llName = true;
    }
    const k = `${a.family}|${set}`;
    keys.set(k, [...(keys.get(k) ?? []), key]);
  }
  return { ops: [...ops, ...elementOps(s, "new-elems", keys)], next };
}

/** An instance's VIPs out of the sets (nft_remove_addresses); an element another instance still holds stays. */
export function removeAddresses(
  s: FirewallSettings,
  st: FirewallState,
  instance: string,
  addrs: readonly FirewallAddress[],
): Step {
  const next = { ...st, elements: new Map([...st.elements].map(([k, v]) => [k, new Set(v)])) };
  const keys = new Map<string, Uint8Array[]>();
  for (const a of addrs) {
    const set = setOf(a);
    const key = keyOf(a);
    const id = `${a.family}|${set}|${hex(key)}`;
    const holders = next.elements.get(id);
    if (!holders?.delete(`${instance}|${a.address}`)) continue;
    if (holders.size > 0) continue;
    next.elements.delete(id);
    const k = `${a.family}|${set}`;
    keys.set(k, [...(keys.get(k) ?? []), key]);
  }
  return { ops: elementOps(s, "del-elems", keys), next };
}

function elementOps(s: FirewallSettings, op: "new-elems" | "del-elems", keys: Map<string, Uint8Array[]>): NftOp[] {
  const ops: NftOp[] = [];
  for (const k of SET_ORDER) {
    const ks = keys.get(k);
    if (!ks?.length) continue;
    const [fam, set] = k.split("|") as [string, string];
    // an attribute holds at most 64 KiB: 1,000 link-local names (44 bytes each) need two messages
    for (let i = 0; i < ks.length; i += ELEMENTS_PER_MESSAGE)
      ops.push({ op, family: fam === "4" ? 4 : 6, table: s.table, set, keys: ks.slice(i, i + ELEMENTS_PER_MESSAGE) });
  }
  return ops;
}

// ---------------------------------------------------------------- VMACs

const IPPROTO_IGMP = 2;
const IPPROTO_ICMPV6 = 58;
/** RFC 3810 5.2 (MLDv2 report), RFC 4861 4.1 (router solicitation) */
const ICMPV6_MLD2_REPORT = 143;
const ICMPV6_ROUTER_SOLICIT = 133;
/** `meta oifkind "macvlan"` compares the kind's whole IFNAMSIZ bytes (keepalived's `macvlan[16]`) */
const MACVLAN = (() => {
  const b = new Uint8Array(nft.IFNAMSIZ);
  b.set(new TextEncoder().encode("macvlan"));
  return b;
})();

const u32host = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

/** `ip protocol igmp` / `icmpv6 type T` (meta l4proto first, as keepalived writes it) */
function icmpOrIgmp(family: NftFamily, icmpType: number): Expr[] {
  if (family === 4)
    return [
      { expr: "payload", base: "network", offset: 9, len: 1, dreg: nft.NFT_REG_1 },
      { expr: "cmp-eq", sreg: nft.NFT_REG_1, data: Uint8Array.of(IPPROTO_IGMP) },
    ];
  return [
    { expr: "meta", key: nft.NFT_META.L4PROTO, dreg: nft.NFT_REG_1 },
    { expr: "cmp-eq", sreg: nft.NFT_REG_1, data: Uint8Array.of(IPPROTO_ICMPV6) },
    { expr: "payload", base: "transport", offset: 0, len: 1, dreg: nft.NFT_REG_1 },
    { expr: "cmp-eq", sreg: nft.NFT_REG_1, data: Uint8Array.of(icmpType) },
  ];
}

const OIF_MACVLAN: Expr[] = [
  { expr: "meta", key: nft.NFT_META.OIFKIND, dreg: nft.NFT_REG_2 },
  { expr: "cmp-eq", sreg: nft.NFT_REG_2, data: MACVLAN },
  { expr: "meta", key: nft.NFT_META.OIF, dreg: nft.NFT_REG_2 },
];

/**
 * setup_rule_move_igmp: an IGMP / MLDv2 report leaving by a VMAC goes out by its base
 * interface instead (`... meta oifkind "macvlan" dup to ip daddr device oif map
 * @vmac_map drop`): a macvlan in private mode would otherwise send the base's group
 * memberships from the VRRP MAC address.
 */
function moveIgmpRule(s: FirewallSettings, family: NftFamily): NftOp {
  return {
    op: "new-rule",
    family,
    table: s.table,
    chain: "out",
    exprs: [
      ...icmpOrIgmp(family, ICMPV6_MLD2_REPORT),
      family === 4
        ? { expr: "payload", base: "network", offset: V4.daddr, len: 4, dreg: nft.NFT_REG_1 }
        : { expr: "payload", base: "network", offset: V6.daddr, len: 16, dreg: nft.NFT_REG_1 },
      ...OIF_MACVLAN,
      { expr: "lookup", sreg: nft.NFT_REG_2, dreg: nft.NFT_REG_2, set: "vmac_map" },
      { expr: "dup", sregAddr: nft.NFT_REG_1, sregDev: nft.NFT_REG_2 },
      ...tail(s, DROP),
    ],
  };
}

/** setup_rule_drop_router_solicit: no router solicitation from a VMAC (`oif @vmac_set drop`) */
function routerSolicitRule(s: FirewallSettings): NftOp {
  return {
    op: "new-rule",
    family: 6,
    table: s.table,
    chain: "out",
    exprs: [
      ...icmpOrIgmp(6, ICMPV6_ROUTER_SOLICIT),
      ...OIF_MACVLAN,
      { expr: "lookup", sreg: nft.NFT_REG_2, set: "vmac_set" },
      ...tail(s, DROP),
    ],
  };
}

/** nft_setup_igmp: the family's table if new, `vmac_map` (and for IPv6 `vmac_set`) and their rules. */
function setupVmac(
  s: FirewallSettings,
  st: FirewallState,
  family: NftFamily,
  exists: (f: NftFamily) => boolean,
): NftOp[] {
  const ops: NftOp[] = [];
  if (!(family === 4 ? st.v4Table : st.v6Table)) ops.push(...setupTable(s, st, family, exists));
  const t = s.table;
  const ifindex = { keyType: nft.NFT_TYPE.IFINDEX, keyLen: 4 };
  ops.push({
    op: "new-set",
    family,
    table: t,
    set: "vmac_map",
    ...ifindex,
    map: { dataType: nft.NFT_TYPE.IFINDEX, dataLen: 4 },
  });
  if (family === 6) ops.push({ op: "new-set", family, table: t, set: "vmac_set", ...ifindex });
  ops.push(moveIgmpRule(s, family));
  if (family === 6) ops.push(routerSolicitRule(s));
  return ops;
}

export interface FirewallVmac {
  ifindex: number;
  /** the base interface's ifindex */
  base: number;
}

/**
 * A VMAC interface into the firewall (nft_add_vmac, called as the VMAC is made): for
 * each family (the instance's, and the other one when it has excluded VIPs of that
 * family: VRRP_FLAG_EVIP_OTHER_FAMILY) the VMAC → base element of `vmac_map`, and for
 * IPv6 the VMAC in `vmac_set`, set up on first use. keepalived makes the firewall for
 * any use_vmac instance, strict or not (vrrp_complete_instance: "use_vmac or
 * no_accept/strict specified, but no firewall configured - using nftables"). A VMAC
 * already there is not sent again.
 */
export function addVmac(
  s: FirewallSettings,
  st: FirewallState,
  vmac: FirewallVmac,
  families: readonly NftFamily[],
  exists: (f: NftFamily) => boolean,
): Step {
  const next = { ...st, vmacs: new Map(st.vmacs) };
  const ops: NftOp[] = [];
  for (const family of families) {
    const id = `${family}|${vmac.ifindex}`;
    if (next.vmacs.get(id) === vmac.base) continue;
    if (!(family === 4 ? next.v4Vmac : next.v6Vmac)) {
      ops.push(...setupVmac(s, next, family, exists));
      if (family === 4) next.v4Table = next.v4Vmac = true;
      else next.v6Table = next.v6Vmac = true;
    }
    const key = u32host(vmac.ifindex);
    ops.push({ op: "new-elems", family, table: s.table, set: "vmac_map", keys: [key], data: [u32host(vmac.base)] });
    if (family === 6) ops.push({ op: "new-elems", family, table: s.table, set: "vmac_set", keys: [key] });
    next.vmacs.set(id, vmac.base);
  }
  return { ops, next };
}

/** A VMAC out of the firewall (nft_remove_vmac, as the VMAC goes); the table and rules stay. */
export function removeVmac(s: FirewallSettings, st: FirewallState, ifindex: number): Step {
  const next = { ...st, vmacs: new Map(st.vmacs) };
  const ops: NftOp[] = [];
  for (const family of [4, 6] as const) {
    const id = `${family}|${ifindex}`;
    if (!next.vmacs.has(id)) continue;
    next.vmacs.delete(id);
    const key = u32host(ifindex);
    ops.push({ op: "del-elems", family, table: s.table, set: "vmac_map", keys: [key] });
    if (family === 6) ops.push({ op: "del-elems", family, table: s.table, set: "vmac_set", keys: [key] });
  }
  return { ops, next };
}

/** nft_cleanup: both tables, when they were made. */
export function cleanup(s: FirewallSettings, st: FirewallState): Step {
  const ops: NftOp[] = [];
  if (st.v4Table) ops.push({ op: "del-table", family: 4, table: s.table });
  if (st.v6Table) ops.push({ op: "del-table", family: 6, table: s.table });
  return { ops, next: EMPTY };
}
