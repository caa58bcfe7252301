/**
 * The iproute2 names of routes and rules (table, protocol, scope, tos/dsfield, realms)
 * and of addresses' scopes
 * turned into numbers at config load, from the host's name files (src/config/rt-names.ts)
 * in global_defs' iproute_etc_dir / iproute_usr_dir. keepalived resolves them while it
 * parses a line (vrrp_iproute.c alloc_route, vrrp_iprule.c alloc_rule) and drops the line
 * on an unknown name, with the messages below; so does keel, and the run time sees only
 * `ids`.
 */
import type { SourceLoc } from "../diagnostics";
import type { HostFacts, KeelConfig } from "../model";
import { IPROUTE_ETC_DIR, IPROUTE_USR_DIR, NO_RT_FILES, type RtKind, RtNames } from "../rt-names";
import type { Ctx } from "../schema";
import type { RtIds } from "./net/common";
import type { Encap, Route } from "./net/route";
import type { Rule } from "./net/rule";
import type { VirtualAddress } from "./net/address";

const NOWHERE: SourceLoc = { file: "<config>", line: 0, col: 0 };

/** `FROM/TO` or `TO`: FROM in the high 16 bits (vrrp_ip_rule_route_parser.c get_realms). */
function realmsOf(names: RtNames, text: string): number | undefined {
  const [a, b] = text.split("/") as [string, string | undefined];
  const from = names.find("rt_realms", a);
  if (b === undefined) return from;
  const to = names.find("rt_realms", b);
  return from === undefined || to === undefined ? undefined : ((from << 16) | to) >>> 0;
}

type Fail = (message: string) => undefined;
type Field = keyof RtIds;
/** One field: how its text becomes a number, and keepalived's message when it does not. */
type Lookup = [Field, (names: RtNames, text: string) => number | undefined, (text: string) => string];

const find =
  (kind: RtKind) =>
  (names: RtNames, text: string): number | undefined =>
    names.find(kind, text);

/** In keepalived's order of checks per line (alloc_route: tos, table, protocol, scope, realms). */
const ROUTE_LOOKUPS: Lookup[] = [
  ["tos", find("rt_dsfield"), (t) => `TOS value ${t} is invalid`],
  ["table", find("rt_tables"), (t) => `Routing table ${t} not found for route`],
  ["protocol", find("rt_protos"), (t) => `Protocol ${t} not found or invalid for route`],
  ["scope", find("rt_scopes"), (t) => `Scope ${t} not found or invalid for route`],
  ["realms", realmsOf, (t) => `Invalid realms ${t} for route`],
];
const RULE_LOOKUPS: Lookup[] = [
  ["table", find("rt_tables"), (t) => `Routing table ${t} not found for rule`],
  ["tos", find("rt_dsfield"), (t) => `TOS value ${t} is invalid`],
  ["realms", realmsOf, (t) => `invalid realms ${t} for rule`],
];

/** The ids of a route's or rule's fields, or undefined after the first failure was reported. */
function idsOf(names: RtNames, r: Route | Rule, lookups: Lookup[], fail: Fail): RtIds | undefined {
  const ids: RtIds = {};
  for (const [field, lookup, message] of lookups) {
    const text = r[field as keyof (Route | Rule)];
    if (text === undefined) continue;
    const id = lookup(names, String(text));
    if (id === undefined) return fail(message(String(text)));
    ids[field] = id;
  }
  return ids;
}

/**
 * keepalived (alloc_route, alloc_rule) gives a tracked route or rule protocol keepalived
 * whatever the line says (config/vrrp/net/route.ts warns): it finds its own by that.
 */
const RTPROT_KEEPALIVED = 18;

/**
 * An encap's tos (ip) or tc (ip6) through rt_dsfield, as vrrp_iproute.c parse_encap_ip /
 * parse_encap_ip6 (find_rttables_dsfield) with their messages; false after a failure.
 */
function encapIds(names: RtNames, e: Encap | undefined, fail: Fail): boolean {
  if (e?.tos === undefined) return true;
  e.tosId = names.find("rt_dsfield", e.tos);
  if (e.tosId !== undefined) return true;
  delete e.tosId;
  fail(
    e.type === "ip6"
      ? `tc value ${e.tos} is invalid for ip6 encapsulation`
      : `dsfield ${e.tos} not valid for ip encapsulation`,
  );
  return false;
}

function routeIds(names: RtNames, r: Route, fail: Fail): RtIds | undefined {
  const ids = idsOf(names, r, ROUTE_LOOKUPS, fail);
  if (!ids) return undefined;
  if (!r.noTrack) ids.protocol = RTPROT_KEEPALIVED;
  if (!encapIds(names, r.encap, fail)) return undefined;
  for (const n of r.nexthops ?? []) {
    if (n.realms !== undefined) {
      n.realmsId = realmsOf(names, n.realms);
      if (n.realmsId === undefined) {
        delete n.realmsId;
        return fail(`Invalid realms ${n.realms} for route`);
      }
    }
    if (!encapIds(names, n.encap, fail)) return undefined;
  }
  return ids;
}

function ruleIds(names: RtNames, r: Rule, fail: Fail): RtIds | undefined {
  const ids = idsOf(names, r, RULE_LOOKUPS, fail);
  if (ids && !r.noTrack) ids.protocol = RTPROT_KEEPALIVED;
  else if (ids && r.protocol !== undefined) ids.protocol = r.protocol;
  // vrrp_iprule.c: a table that resolves to 0
  if (ids?.table === 0) return fail("Table 0 is not valid");
  return ids;
}

/**
 * Give every route and rule its ids; drop (with an error at its line) one with a name
 * the files do not have. A skipped line of a name file is a warning at that file:line.
 */
export function resolveRtNames(config: KeelConfig, c: Ctx, host: HostFacts): void {
  const g = config.globalDefs;
  const names = new RtNames(
    { etc: g.iprouteEtcDir ?? IPROUTE_ETC_DIR, usr: g.iprouteUsrDir ?? IPROUTE_USR_DIR },
    host.rtFiles ?? NO_RT_FILES,
  );
  const at = (o: object): SourceLoc => c.origins.get(o) ?? NOWHERE;
  const keep = <T extends Route | Rule>(list: T[], idsOf: (r: T, fail: Fail) => RtIds | undefined): T[] =>
    list.filter((r) => {
      const ids = idsOf(r, (m) => {
        c.error(at(r), "unknown-rt-name", m);
        return undefined;
      });
      if (ids === undefined) return false;
      if (Object.keys(ids).length > 0) r.ids = ids;
      return true;
    });
  const routes = (l: Route[]) => keep(l, (r, fail) => routeIds(names, r, fail));
  const rules = (l: Rule[]) => keep(l, (r, fail) => ruleIds(names, r, fail));
  // vrrp_ipaddress.c: "Invalid scope '%s' specified for %s - ignoring" (the address stays)
  const scopes = (l: VirtualAddress[]) => {
    for (const a of l) {
      if (a.scope === undefined) continue;
      a.scopeId = names.find("rt_scopes", a.scope);
      if (a.scopeId === undefined) {
        c.error(at(a), "unknown-rt-name", `Invalid scope '${a.scope}' specified for ${a.address} - ignoring`);
        delete a.scopeId;
      }
    }
  };
  scopes(config.staticIpaddresses);
  config.staticRoutes = routes(config.staticRoutes);
  config.staticRules = rules(config.staticRules);
  for (const v of Object.values(config.vrrpInstances)) {
    scopes(v.virtualIpaddress);
    scopes(v.virtualIpaddressExcluded);
    v.virtualRoutes = routes(v.virtualRoutes);
    v.virtualRules = rules(v.virtualRules);
  }
  // only the kinds some line looked up have been read, so only their files are reported
  for (const p of names.problems) c.warning({ file: p.file, line: p.line, col: 1 }, "iproute-file", p.reason);
}
