/**
 * nftables_ipvs as data: the nf_tables operations that mark the packets of a
 * virtual_server_group's addresses with its fwmark (src/lvs/auto-fwmark.ts numbers the
 * marks), so IPVS holds one fwmark service per group. Pure, as firewall-plan.ts is: each
 * step returns the operations and the state after them; the caller keeps the state only
 * once the kernel took them.
 *
 * What keepalived 2.2.7 installs (check/check_nftables.c, built with NFT_RANGE_CONCATS as
 * Debian 12's is; seen in its `nft list ruleset`):
 * - per address family used, `table ip|ip6 keepalived_ipvs` (the nftables_ipvs keyword's
 *   name) with one chain `in { type filter hook input priority P; policy accept; }`,
 *   P = nftables_ipvs_priority (default -1) (nft_ipvs_setup);
 * - per family and protocol used, a map `tcp_map` / `udp_map` / `sctp_map`:
 *   `type ipv4_addr . inet_service : mark; flags interval` (flags MAP|CONCAT|INTERVAL,
 *   field lengths 4|16 and 2, key length 8|20 with the port padded to 4 bytes, user data
 *   "key and data in host byte order", a counter on each element with nftables_counters),
 *   and its rule in `in`: `meta l4proto tcp meta mark set ip daddr . tcp dport map
 *   @tcp_map [counter] return` (nft_ipvs_add_set_rule, setup_rule_set_mark);
 * - per group range `first-last port`, the element `first . port - last . port : mark`
 *   (nft_update_ipvs_element; a single address is a range of one).
 * When: elements go in as the group's service is added (start, and a reload's new
 * entries), out as it is removed (a reload's removed entries and virtual servers); the
 * maps and rules, once made, stay; at stop the tables are deleted (nft_ipvs_end, after
 * the services are cleared). Quorum and checker results do not touch them: the service
 * stays while the checker child runs. keel differs in one way: a table of the name left
 * by a process that did not stop cleanly is deleted before the first setup (as the VRRP
 * firewall's check_and_delete_tables does), where keepalived would append a second rule.
 */
import { parseAddress } from "../base/ip";
import type { KeelConfig } from "../config/model";
import { type AutoFwmarks, autoFwmarkGroup, markKey } from "../lvs/auto-fwmark";
import type { Protocol } from "../lvs/table";
import type { Expr, NftFamily, NftOp } from "../../native-bindings/nftables";
import { nft } from "../../native-bindings/nftables";
import { familyOf } from "../config/lvs/addr";

export interface NftIpvsSettings {
  table: string;
  /** nftables_ipvs_priority (keepalived's default -1) */
  priority: number;
  /** nftables_counters */
  counters: boolean;
  /** nftables_ipvs_start_fwmark (default 1000) */
  startFwmark: number;
}

/** The settings, or undefined without nftables_ipvs. */
export function nftIpvsSettings(config: KeelConfig): NftIpvsSettings | undefined {
  const g = config.globalDefs;
  if (g.nftablesIpvs === undefined) return undefined;
  return {
    table: g.nftablesIpvs,
    priority: g.nftablesIpvsPriority,
    counters: g.nftablesCounters,
    startFwmark: g.nftablesIpvsStartFwmark,
  };
}

/** One range of a group in a protocol's map. */
export interface NftIpvsElement {
  family: NftFamily;
  protocol: Protocol;
  first: string;
  last: string;
  port: number;
  mark: number;
}

const idOf = (e: NftIpvsElement) => `${e.family}|${e.protocol}|${e.first}|${e.last}|${e.port}`;

/** Every element the configuration's auto-fwmarked groups need, in virtual_server order. */
export function nftIpvsElements(config: KeelConfig, marks: AutoFwmarks): NftIpvsElement[] {
  const out = new Map<string, NftIpvsElement>();
  for (const vs of config.virtualServers) {
    const g = autoFwmarkGroup(config, vs);
    const protocol = vs.protocol ?? "UDP";
    const mark = g && marks.marks.get(markKey(g.name, protocol));
    if (!g || mark === undefined) continue;
    for (const e of g.entries) {
      if (e.kind !== "range") continue;
      const el: NftIpvsElement = {
        family: familyOf(e.first) ?? 4,
        protocol,
        first: e.first,
        last: e.last,
        port: e.port ?? 0,
        mark,
      };
      // a second virtual server on the same group and protocol shares the group's mark (ipvs_cmd)
      if (!out.has(idOf(el))) out.set(idOf(el), el);
    }
  }
  return [...out.values()];
}

export interface NftIpvsState {
  /** families whose table and `in` chain exist */
  tables: ReadonlySet<NftFamily>;
  /** `family|protocol` whose map and rule exist */
  maps: ReadonlySet<string>;
  /** element id → the element in the kernel */
  elements: ReadonlyMap<string, NftIpvsElement>;
}

export const NFT_IPVS_EMPTY: NftIpvsState = { tables: new Set(), maps: new Set(), elements: new Map() };

export interface NftIpvsStep {
  ops: NftOp[];
  next: NftIpvsState;
}

const IPPROTO: Record<Protocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const mapName = (p: Protocol) => `${p.toLowerCase()}_map`;
const addrLen = (f: NftFamily) => (f === 4 ? 4 : 16);

/** `addr . port`: the port in network order, padded to a 32-bit register (nft_update_ipvs_element) */
function key(family: NftFamily, address: string, port: number): Uint8Array {
  const k = new Uint8Array(addrLen(family) + 4);
  k.set(parseAddress(family, address) ?? new Uint8Array(addrLen(family)));
  new DataView(k.buffer).setUint16(addrLen(family), port, false);
  return k;
}

/** the mark as the map's data: host order, as keepalived copies its uint32 */
function markData(mark: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, mark >>> 0, true);
  return b;
}

/** setup_set's user data: key and data byte order "host" (NFTNL_UDATA_SET_{KEY,DATA}BYTEORDER = 1) */
const USERDATA = Uint8Array.of(0, 4, 1, 0, 0, 0, 1, 4, 1, 0, 0, 0);

/** setup_rule_set_mark */
function markRule(s: NftIpvsSettings, family: NftFamily, protocol: Protocol): NftOp {
  const exprs: Expr[] = [
    { expr: "meta", key: nft.NFT_META.L4PROTO, dreg: nft.NFT_REG_1 },
    { expr: "cmp-eq", sreg: nft.NFT_REG_1, data: Uint8Array.of(IPPROTO[protocol]) },
    { expr: "payload", base: "network", offset: family === 4 ? 16 : 24, len: addrLen(family), dreg: nft.NFT_REG_1 },
    // the port goes in the 32-bit register after the address: NFT_REG32_01 (9) after an
    // IPv4 address in NFT_REG_1, NFT_REG_2 after an IPv6 one
    { expr: "payload", base: "transport", offset: 2, len: 2, dreg: family === 4 ? 9 : nft.NFT_REG_2 },
    { expr: "lookup", sreg: nft.NFT_REG_1, dreg: nft.NFT_REG_1, set: mapName(protocol) },
    { expr: "meta-set", key: nft.NFT_META.MARK, sreg: nft.NFT_REG_1 },
    ...(s.counters ? [{ expr: "counter" } as Expr] : []),
    { expr: "verdict", verdict: { kind: "return" } },
  ];
  return { op: "new-rule", family, table: s.table, chain: "in", exprs };
}

function setupMap(s: NftIpvsSettings, family: NftFamily, protocol: Protocol): NftOp[] {
  const addrType = family === 4 ? nft.NFT_TYPE.IPADDR : nft.NFT_TYPE.IP6ADDR;
  return [
    {
      op: "new-set",
      family,
      table: s.table,
      set: mapName(protocol),
      keyType: (addrType << nft.NFT_TYPE_BITS) | nft.NFT_TYPE.INET_SERVICE,
      keyLen: addrLen(family) + 4,
      map: { dataType: nft.NFT_TYPE.MARK, dataLen: 4 },
      concatRanges: [addrLen(family), 2],
      counter: s.counters,
      userdata: USERDATA,
    },
    markRule(s, family, protocol),
  ];
}

function elementOps(s: NftIpvsSettings, op: "new-elems" | "del-elems", els: NftIpvsElement[]): NftOp[] {
  const by = new Map<string, NftIpvsElement[]>();
  for (const e of els) by.set(`${e.family}|${e.protocol}`, [...(by.get(`${e.family}|${e.protocol}`) ?? []), e]);
  const ops: NftOp[] = [];
  for (const list of by.values()) {
    const { family, protocol } = list[0] as NftIpvsElement;
    // an attribute holds at most 64 KiB: an IPv6 element with its end and data is ~80 bytes
    for (let i = 0; i < list.length; i += 500) {
      const part = list.slice(i, i + 500);
      ops.push({
        op,
        family,
        table: s.table,
        set: mapName(protocol),
        keys: part.map((e) => key(family, e.first, e.port)),
        keyEnds: part.map((e) => key(family, e.last, e.port)),
        ...(op === "new-elems" ? { data: part.map((e) => markData(e.mark)) } : {}),
      });
    }
  }
  return ops;
}

/**
 * The kernel from `st` to holding exactly `want`'s elements: those gone (or whose mark
 * changed) out, the new ones in, with their table, chain, map and rule first when new.
 * `exists`: whether a table of the name is in the kernel (asked before the first setup).
 */
export function planNftIpvs(
  s: NftIpvsSettings,
  st: NftIpvsState,
  want: readonly NftIpvsElement[],
  exists: (f: NftFamily) => boolean,
): NftIpvsStep {
  const tables = new Set(st.tables);
  const maps = new Set(st.maps);
  const elements = new Map(st.elements);
  const wanted = new Map(want.map((e) => [idOf(e), e]));
  const gone = [...elements].filter(([id, e]) => wanted.get(id)?.mark !== e.mark).map(([, e]) => e);
  for (const e of gone) elements.delete(idOf(e));
  const ops: NftOp[] = elementOps(s, "del-elems", gone);
  const added: NftIpvsElement[] = [];
  for (const e of want) {
    if (elements.has(idOf(e))) continue;
    if (!tables.has(e.family)) {
      if (st.tables.size === 0 && tables.size === 0)
        for (const f of [4, 6] as const) if (exists(f)) ops.push({ op: "del-table", family: f, table: s.table });
      ops.push(
        { op: "new-table", family: e.family, table: s.table },
        {
          op: "new-chain",
          family: e.family,
          table: s.table,
          chain: "in",
          hook: { hook: "input", priority: s.priority },
        },
      );
      tables.add(e.family);
    }
    const m = `${e.family}|${e.protocol}`;
    if (!maps.has(m)) {
      ops.push(...setupMap(s, e.family, e.protocol));
      maps.add(m);
    }
    elements.set(idOf(e), e);
    added.push(e);
  }
  ops.push(...elementOps(s, "new-elems", added));
  return { ops, next: { tables, maps, elements } };
}

/** nft_ipvs_cleanup: the tables made, deleted. */
export function cleanupNftIpvs(s: NftIpvsSettings, st: NftIpvsState): NftIpvsStep {
  const ops: NftOp[] = [...st.tables].sort().map((family) => ({ op: "del-table", family, table: s.table }));
  return { ops, next: NFT_IPVS_EMPTY };
}
