/**
 * KEEPALIVED-MIB's virtual and static routes, rules and next hops (keepalived 2.2.7
 * vrrp/vrrp_snmp.c vrrp_snmp_route, vrrp_snmp_rule, vrrp_snmp_next_hop), pure:
 *
 *   .7  vrrpRouteTable         .7.1.COL.I.K     (I 0: static_routes, then instance I's)
 *   .8  vrrpRuleTable          .8.1.COL.I.K     (I 0: static_rules)
 *   .11 vrrpRouteNextHopTable  .11.1.COL.I.K.N  (a route's `nexthop`s, and `via A or B`)
 *
 * A cell keepalived leaves out (no gateway, no MTU, ...) is left out here: its handler
 * answers "try the next one" and the walk moves on to the next row. keepalived's own
 * slips are kept, as a walk shows them: advmss is served only when hoplimit is set, the
 * congctl, pref and fastopen_no_cookie columns never are, and every route is served with
 * protocol keepalived (18) unless it is no_track with its own. The lightweight-tunnel
 * `encap` columns of a route (.7.1.46-54) as vrrp_snmp_encap serves them (see encapCells);
 * a next hop's (.11.1.10-18) never come in 2.2.7's walk, so keel serves none either.
 * isSet is whether the
 * instance is MASTER (keel installs its routes then; a route the kernel refused is
 * retried by keel, where keepalived marks it not set); a static one is always set.
 */
import { parseIp } from "../base/ip";
import type { KeelConfig } from "../config/model";
import type { Encap, Nexthop, Route } from "../config/vrrp/net/route";
import type { Rule } from "../config/vrrp/net/rule";
import { truth } from "./keepalived-global";
import type { Varbind } from "./mib";

type At = (sub: number[], type: Varbind["type"], value: Varbind["value"]) => void;

/** the names every system has (/etc/iproute2/rt_tables, rt_protos, rt_scopes) */
const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };
const PROTOS: Record<string, number> = { redirect: 1, kernel: 2, boot: 3, static: 4, keepalived: 18 };
const SCOPES: Record<string, number> = { global: 0, universe: 0, site: 200, link: 253, host: 254, nowhere: 255 };

function num(v: string | number | undefined, names: Record<string, number> = {}): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(v);
  return names[v];
}

/** core/snmp.c snmp_scope: a Linux scope → InetScopeType */
function snmpScope(scope: string | undefined): number {
  const n = num(scope, SCOPES) ?? 0;
  const map: Record<number, number> = { 0: 14, 255: 0, 254: 1, 253: 2, 200: 5 };
  return map[n] ?? 0;
}

/** ADDR[/LEN] (or default, all) → the address bytes and prefix length keepalived keeps */
function prefixed(text: string, family: 4 | 6): { bytes: Uint8Array; len: number } | undefined {
  if (text === "default" || text === "all" || text === "any")
    return { bytes: new Uint8Array(family === 4 ? 4 : 16), len: 0 };
  const [a, l] = text.split("/");
  const ip = parseIp(a ?? "");
  if (!ip) return undefined;
  return { bytes: ip.bytes, len: l === undefined ? (ip.family === 4 ? 32 : 128) : Number(l) };
}

/** strtoul(s, 0): 0x hex, a leading 0 octal, else decimal */
function strtoul0(s: string): number {
  if (/^0x/i.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^0[0-7]+$/.test(s)) return Number.parseInt(s, 8);
  return Number(s);
}

/** Debian's /etc/iproute2/rt_dsfield, which find_rttables_dsfield reads for a name */
const DSFIELDS: Record<string, number> = {
  default: 0x0,
  AF11: 0x28,
  AF12: 0x30,
  AF13: 0x38,
  AF21: 0x48,
  AF22: 0x50,
  AF23: 0x58,
  AF31: 0x68,
  AF32: 0x70,
  AF33: 0x78,
  AF41: 0x88,
  AF42: 0x90,
  AF43: 0x98,
  CS1: 0x20,
  CS2: 0x40,
  CS3: 0x60,
  CS4: 0x80,
  CS5: 0xa0,
  CS6: 0xc0,
  CS7: 0xe0,
  EF: 0xb8,
};

/** LWTUNNEL_ENCAP_*: MPLS 1, IP 2, ILA 3, IP6 4 (served as type + 1) */
const ENCAP_TYPE: Record<Encap["type"], number> = { mpls: 1, ip: 2, ila: 3, ip6: 4 };

/**
 * vrrp_snmp_encap's cells for one route or next hop, from column `c0` (encapType): the
 * type (LWTUNNEL_ENCAP_* + 1); for ip/ip6 the id (Counter64), dst, src, tos/tc, ttl/hoplimit
 * and flags as set; for mpls the labels, each printed as keepalived holds it (parse_mpls_address
 * keeps htonl(label << 12), bottom-of-stack bit 8 on the last, and vrrp_snmp_encap prints
 * that word with %u: on a little-endian host the bytes reversed); for ila the locator
 * (get_addr64 keeps the four groups in network order, served as the host's u64).
 */
function encapCells(col: (c: number, type: Varbind["type"], value: Varbind["value"]) => void, e: Encap, c0: number) {
  col(c0, "Integer", ENCAP_TYPE[e.type] + 1);
  if (e.type === "ip" || e.type === "ip6") {
    if (e.id !== undefined) col(c0 + 2, "Counter64", BigInt(e.id));
    const dst = e.dst === undefined ? undefined : parseIp(e.dst);
    if (dst) col(c0 + 3, "OctetString", dst.bytes);
    const src = e.src === undefined ? undefined : parseIp(e.src);
    if (src) col(c0 + 4, "OctetString", src.bytes);
    if (e.tos !== undefined) {
      const tos = /^\d|^0x/i.test(e.tos) ? strtoul0(e.tos) : DSFIELDS[e.tos];
      if (tos !== undefined) col(c0 + 5, "Gauge32", tos);
    }
    if (e.ttl !== undefined) col(c0 + 6, "Gauge32", e.ttl);
    if (e.flags !== undefined) col(c0 + 7, "Gauge32", e.flags);
  } else if (e.type === "mpls" && e.labels !== undefined) {
    const labels = e.labels.split("/").map(strtoul0);
    const words = labels.map((l, i) => {
      const w = ((l << 12) | (i === labels.length - 1 ? 0x100 : 0)) >>> 0;
      // htonl, then read back as a little-endian u32
      return (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0;
    });
    col(c0 + 1, "OctetString", words.join("/"));
  } else if (e.type === "ila" && e.locator !== undefined) {
    let v = 0n;
    e.locator.split(":").forEach((g, i) => {
      const n = Number.parseInt(g, 16);
      // group i's two bytes in network order at bytes 2i, 2i+1 of a little-endian u64
      v |= (BigInt(n >> 8) << BigInt(16 * i)) | (BigInt(n & 0xff) << BigInt(16 * i + 8));
    });
    col(c0 + 8, "Counter64", v);
  }
}

/** realms [SRC/]DST: keepalived keeps SRC << 16 | DST */
function realmParts(r: string | undefined): { dst: number; src: number } | undefined {
  if (r === undefined) return undefined;
  const [a, b] = r.split("/");
  const src = b === undefined ? 0 : (num(a) ?? 0);
  const dst = num(b === undefined ? a : b) ?? 0;
  return src === 0 && dst === 0 ? undefined : { dst, src };
}

/** the route types keepalived's vrrpRouteType names (a route with next hops is multipath(2)) */
const ROUTE_TYPE: Record<string, number> = {
  blackhole: 3,
  anycast: 4,
  multicast: 5,
  broadcast: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
  nat: 10,
  xresolve: 11,
};

function routeRow(at: At, r: Route, i: number, k: number, set: boolean, ifindex: (dev: string) => number): void {
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([7, 1, c, i, k], type, value);
  const dst = prefixed(r.dst, r.family);
  col(2, "Integer", r.family === 6 ? 2 : 1);
  if (dst) {
    col(3, "OctetString", dst.bytes);
    col(4, "Gauge32", dst.len);
  }
  const via = r.via === undefined ? undefined : parseIp(r.via);
  if (via) col(5, "OctetString", via.bytes);
  const hops = r.nexthops ?? [];
  const only = hops.length === 1 ? hops[0] : undefined;
  const gw2 = only?.via !== undefined && only.encap === undefined ? parseIp(only.via) : undefined;
  if (gw2) col(6, "OctetString", gw2.bytes);
  const src = r.src === undefined ? undefined : parseIp(r.src);
  if (src) col(7, "OctetString", src.bytes);
  col(8, "Gauge32", r.metric ?? 0);
  col(9, "Integer", snmpScope(r.scope));
  col(10, "Integer", hops.length > 0 ? 2 : (ROUTE_TYPE[r.type ?? "unicast"] ?? 1));
  if (r.dev !== undefined) {
    col(11, "Integer", ifindex(r.dev));
    col(12, "OctetString", r.dev);
  }
  col(13, "Gauge32", num(r.table, TABLES) ?? 254);
  col(14, "Integer", truth(set));
  const from = r.from === undefined ? undefined : prefixed(r.from, r.family);
  if (from) {
    col(15, "OctetString", from.bytes);
    col(16, "Gauge32", from.len);
  }
  const tos = num(r.tos);
  if (tos !== undefined) col(17, "Gauge32", tos);
  // vrrp_iproute.c: a tracked route is always added with protocol keepalived
  const protocol = r.noTrack ? (num(r.protocol, PROTOS) ?? 18) : 18;
  col(18, "Integer", protocol + 1);
  col(19, "Integer", truth(r.features === "ecn"));
  col(20, "Integer", truth(r.quickack !== undefined));
  if (r.expires !== undefined) col(21, "Integer", r.expires);
  const locked = (m: NonNullable<Route["locked"]>[number]) => truth(r.locked?.includes(m) ?? false);
  const metric = (c: number, v: number | undefined, lock?: NonNullable<Route["locked"]>[number]) => {
    if (v === undefined) return;
    col(c, "Gauge32", v);
    if (lock) col(c + 1, "Integer", locked(lock));
  };
  metric(22, r.mtu, "mtu");
  if (r.hoplimit !== undefined) {
    col(24, "Gauge32", r.hoplimit);
    // vrrp_snmp.c tests the hoplimit bit for advmss
    col(25, "Gauge32", r.advmss ?? 0);
  }
  if (r.advmss !== undefined) col(26, "Integer", locked("advmss"));
  metric(27, millis(r.rtt), "rtt");
  metric(29, millis(r.rttvar), "rttvar");
  metric(31, r.reordering, "reordering");
  metric(33, r.window);
  metric(34, r.cwnd, "cwnd");
  metric(36, r.ssthresh, "ssthresh");
  metric(38, millis(r.rtoMin), "rtoMin");
  metric(40, r.initcwnd);
  metric(41, r.initrwnd);
  const realms = realmParts(r.realms);
  if (realms) {
    col(44, "Gauge32", realms.dst);
    if (realms.src !== 0) col(45, "Gauge32", realms.src);
  }
  if (r.encap) encapCells(col, r.encap, 46);
}

/** rtt, rttvar, rto_min as written (iproute2's units; a bare number is milliseconds) → ms */
function millis(t: string | undefined): number | undefined {
  if (t === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(t);
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  if (unit.startsWith("s")) return Math.round(v * 1000);
  if (unit.startsWith("us") || unit.startsWith("usec")) return Math.round(v / 1000);
  if (unit.startsWith("ns")) return Math.round(v / 1_000_000);
  return Math.round(v);
}

function nexthopRows(at: At, hops: Nexthop[], i: number, k: number, ifindex: (dev: string) => number): void {
  hops.forEach((h, n) => {
    const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([11, 1, c, i, k, n + 1], type, value);
    const via = h.via === undefined ? undefined : parseIp(h.via);
    if (via) {
      col(2, "Integer", via.family === 4 ? 1 : 2);
      col(3, "OctetString", via.bytes);
    }
    if (h.dev !== undefined) {
      col(4, "Integer", ifindex(h.dev));
      col(5, "OctetString", h.dev);
    }
    if (h.weight !== undefined) col(6, "Gauge32", h.weight);
    col(7, "Integer", truth(h.onlink ?? false));
    const realms = realmParts(h.realms);
    if (realms) {
      col(8, "Gauge32", realms.dst);
      if (realms.src !== 0) col(9, "Gauge32", realms.src);
    }
    // the next hop's encap columns (.11.1.10-18) are registered by 2.2.7, but its walk of a
    // next hop with `encap ip` returns none of them (test/interop/snmp-traps.test.ts): not served
  });
}

/** FR_ACT_*: to_tbl 1, goto 2, nop 3, blackhole 6, unreachable 7, prohibit 8 */
const RULE_ACTION: Record<Rule["action"], number> = {
  table: 1,
  goto: 2,
  nop: 3,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
};

function ruleRow(at: At, r: Rule, priority: number, i: number, k: number, set: boolean): void {
  const col = (c: number, type: Varbind["type"], value: Varbind["value"]) => at([8, 1, c, i, k], type, value);
  const from = r.from === undefined ? undefined : prefixed(r.from, r.family);
  const to = r.to === undefined ? undefined : prefixed(r.to, r.family);
  // the obsolete direction/address columns: "to" wins over "from"
  col(2, "OctetString", to ? (from ? "both" : "to") : from ? "from" : "");
  const one = to ?? from;
  const family = r.family === 6 ? 2 : 1;
  if (one) {
    col(3, "Integer", family);
    col(4, "OctetString", one.bytes);
    col(5, "Gauge32", one.len);
  }
  const table = r.action === "table" ? (num(r.table, TABLES) ?? 254) : undefined;
  if (table !== undefined) col(6, "Gauge32", table);
  col(7, "Integer", truth(set));
  col(8, "Integer", truth(r.not ?? false));
  if (to) {
    col(9, "Integer", family);
    col(10, "OctetString", to.bytes);
    col(11, "Gauge32", to.len);
  }
  if (from) {
    col(12, "Integer", family);
    col(13, "OctetString", from.bytes);
    col(14, "Gauge32", from.len);
  }
  col(15, "Gauge32", num(r.tos) ?? 0);
  if (r.fwmark !== undefined) col(16, "Gauge32", r.fwmark);
  if (r.fwmask !== undefined) col(17, "Gauge32", r.fwmask);
  const realms = realmParts(r.realms);
  if (realms) {
    col(18, "Gauge32", realms.dst);
    if (realms.src !== 0) col(19, "Gauge32", realms.src);
  }
  if (r.iif !== undefined) col(20, "OctetString", r.iif);
  if (r.oif !== undefined) col(21, "OctetString", r.oif);
  if (r.action === "goto" && r.goto !== undefined) col(22, "Gauge32", r.goto);
  col(23, "Integer", RULE_ACTION[r.action]);
  if (table !== undefined) col(24, "Gauge32", table);
  if (priority !== 0) col(25, "Gauge32", priority);
  if (r.suppressPrefixlength !== undefined) col(26, "Gauge32", r.suppressPrefixlength);
  if (r.suppressIfgroup !== undefined) col(27, "OctetString", r.suppressIfgroup);
  const tunnel = r.tunnelId === undefined ? 0n : BigInt(r.tunnelId);
  if (tunnel !== 0n) {
    col(28, "Gauge32", Number(tunnel >> 32n));
    col(29, "Gauge32", Number(tunnel & 0xffffffffn));
  }
  if (r.uidrange) {
    col(30, "Gauge32", r.uidrange.start);
    col(31, "Gauge32", r.uidrange.end);
  }
  // a plain 1, not a TruthValue
  if (r.l3mdev) col(32, "Integer", 1);
}

/**
 * The three tables: the static routes and rules as "instance" 0, then each instance's in
 * config order. `master(name)`: whether the instance is MASTER now.
 */
export function routeTables(
  at: At,
  config: KeelConfig,
  instances: { name: string; virtualRoutes: Route[]; virtualRules: Rule[] }[],
  master: (name: string) => boolean,
  interfaces: ReadonlyMap<string, number> | undefined,
): void {
  const ifindex = (dev: string) => interfaces?.get(dev) ?? 0;
  const owners = [
    { i: 0, routes: config.staticRoutes, rules: config.staticRules, set: true },
    ...instances.map((v, n) => ({ i: n + 1, routes: v.virtualRoutes, rules: v.virtualRules, set: master(v.name) })),
  ];
  // vrrp_iprule.c: a rule without a preference gets the next one down from 16384, per family
  const next = { 4: 16384, 6: 16384 };
  for (const o of owners) {
    o.routes.forEach((r, k) => {
      routeRow(at, r, o.i, k + 1, o.set, ifindex);
      nexthopRows(at, r.nexthops ?? [], o.i, k + 1, ifindex);
    });
    o.rules.forEach((r, k) => {
      const priority = r.priority ?? next[r.family]--;
      ruleRow(at, r, priority, o.i, k + 1, o.set);
    });
  }
}
