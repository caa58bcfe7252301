/**
 * Whose route or rule a deletion was (src/runtime/route-events.ts, keepalived's
 * route_is_ours / compare_rule): the notifications are keel's own requests decoded back
 * (native-bindings decodeRoute / decodeRule read the same rtmsg / fib_rule_hdr layout).
 */
import { describe, expect, test } from "bun:test";
import { parseMessages } from "../../../native-bindings/netlink/codec";
import { decodeRoute, decodeRule, routeRequest, ruleRequest } from "../../../native-bindings/netlink/messages";
import type { RouteInfo, RuleInfo, RouteSpec, RuleSpec } from "../../../native-bindings/netlink/types";
import type { Route, Rule } from "../../../src/config/vrrp/model";
import { type OwnRoutes, routeGroups, routeOwner, ruleOwner, sameGroups } from "../../../src/runtime/route-events";

const asRoute = (spec: RouteSpec): RouteInfo => {
  const m = parseMessages(routeRequest("del", spec, 1));
  if (!m.ok) throw new Error("no message");
  const r = decodeRoute(m.value[0]!);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const asRule = (spec: RuleSpec): RuleInfo => {
  const m = parseMessages(ruleRequest("del", spec, 1));
  if (!m.ok) throw new Error("no message");
  const r = decodeRule(m.value[0]!);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const vr: Route = { family: 4, dst: "198.51.100.0/24", dev: "eth0", ids: { table: 100, protocol: 18 } };
const quiet: Route = { family: 4, dst: "203.0.113.0/24", dev: "eth0", noTrack: true, ids: { table: 100 } };
const st: Route = { family: 4, dst: "192.0.2.128/25", dev: "eth0", ids: { table: 100, protocol: 18 } };
const rule: Rule = {
  family: 4,
  action: "table",
  from: "198.51.100.0/24",
  priority: 1000,
  ids: { table: 100, protocol: 18 },
};
const own: OwnRoutes = {
  instances: [{ name: "VI_1", routes: [vr, quiet], rules: [rule] }],
  staticRoutes: [st],
  staticRules: [],
};
const ifindexOf = (dev: string) => (dev === "eth0" ? 2 : undefined);

describe("routeOwner", () => {
  const spec = { family: 4 as const, dst: "198.51.100.0", prefixLen: 24, table: 100, ifindex: 2, protocol: 18 };

  test("an instance's route: table, prefix, oif, metric and protocol keepalived", () => {
    expect(routeOwner(own, asRoute(spec), ifindexOf)).toEqual({ instance: "VI_1", route: vr });
  });

  test("not ours: another protocol, table, interface or metric", () => {
    for (const other of [{ protocol: 12 }, { table: 254 }, { ifindex: 3 }, { metric: 5 }])
      expect(routeOwner(own, asRoute({ ...spec, ...other }), ifindexOf)).toBeUndefined();
  });

  test("the source prefix (`from`, RTA_SRC) is not compared, as keepalived compares it nowhere", () => {
    // keepalived 2.2.7 keepalived_netlink.c route_is_ours and 2.4.3 compare_route read
    // table, family, dst length, metric, tos, oif and RTA_DST; never tb[RTA_SRC]. So a
    // deleted route with another `from` is the configured one all the same
    const v6: Route = {
      family: 6,
      dst: "2001:db8:5::/64",
      from: "2001:db8:1::/64",
      dev: "eth0",
      ids: { table: 100, protocol: 18 },
    };
    const own6: OwnRoutes = {
      instances: [{ name: "VI_6", routes: [v6], rules: [] }],
      staticRoutes: [],
      staticRules: [],
    };
    const base = { family: 6 as const, dst: "2001:db8:5::", prefixLen: 64, table: 100, ifindex: 2, protocol: 18 };
    for (const from of [{ from: "2001:db8:1::", fromLen: 64 }, { from: "2001:db8:2::", fromLen: 48 }, {}]) {
      expect(routeOwner(own6, asRoute({ ...base, ...from }), ifindexOf)).toEqual({ instance: "VI_6", route: v6 });
    }
  });

  test("a static route matches without its interface; a no_track one is still found (the driver skips it)", () => {
    const s = asRoute({ family: 4, dst: "192.0.2.128", prefixLen: 25, table: 100, ifindex: 9, protocol: 18 });
    expect(routeOwner(own, s, ifindexOf)).toEqual({ route: st });
    const q = asRoute({ family: 4, dst: "203.0.113.0", prefixLen: 24, table: 100, ifindex: 2, protocol: 18 });
    expect(routeOwner(own, q, ifindexOf)?.route.noTrack).toBe(true);
  });
});

describe("ruleOwner", () => {
  const spec: RuleSpec = { family: 4, from: "198.51.100.0", fromLen: 24, table: 100, priority: 1000, protocol: 18 };
  test("an instance's rule, by priority, table and selectors", () => {
    expect(ruleOwner(own, asRule(spec))).toEqual({ instance: "VI_1", rule });
  });
  test("not ours: another priority, table, source, or a protocol other than keepalived", () => {
    for (const other of [{ priority: 1001 }, { table: 101 }, { fromLen: 25 }, { protocol: 4 }])
      expect(ruleOwner(own, asRule({ ...spec, ...other }))).toBeUndefined();
  });
});

describe("routeGroups (vrrp.c set_extra_netlink_monitoring's four flags)", () => {
  const none = { ipv4Routes: false, ipv6Routes: false, ipv4Rules: false, ipv6Rules: false };
  const empty: OwnRoutes = { instances: [], staticRoutes: [], staticRules: [] };

  test("an instance's tracked route or rule joins its family's group; no_track does not", () => {
    expect(routeGroups(own)).toEqual({ ...none, ipv4Routes: true, ipv4Rules: true });
    const v6: Route = { family: 6, dst: "2001:db8::/64", dev: "eth0" };
    const v6rule: Rule = { family: 6, action: "table", from: "2001:db8::/64", priority: 7, noTrack: true };
    expect(routeGroups({ ...empty, instances: [{ name: "V", routes: [quiet, v6], rules: [v6rule] }] })).toEqual({
      ...none,
      ipv6Routes: true,
    });
  });

  test("a static route or rule only with a track_group (process_static_entries)", () => {
    expect(routeGroups({ ...empty, staticRoutes: [st], staticRules: [rule] })).toEqual(none);
    const tracked = routeGroups({
      ...empty,
      staticRoutes: [{ ...st, trackGroup: "TG" }],
      staticRules: [{ ...rule, family: 6, from: "2001:db8::/64", trackGroup: "TG" }],
    });
    expect(tracked).toEqual({ ...none, ipv4Routes: true, ipv6Rules: true });
    expect(sameGroups(tracked, { ...tracked })).toBe(true);
    expect(sameGroups(tracked, none)).toBe(false);
  });
});
