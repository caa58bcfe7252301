/**
 * A route's metrics from the config line to the RTA_METRICS the kernel gets
 * (runtime/kernel-linux.ts routeMetrics): keepalived 2.2.7's parser (vrrp_iproute.c
 * parse_route, get_time_rtt in vrrp_ip_rule_route_parser.c) decides the units, the bounds
 * and the RTAX_LOCK bits.
 */
import { describe, expect, test } from "bun:test";
import { formatDiagnostic } from "../../../src/config/diagnostics";
import { parseConf } from "../../../src/config/parse";
import { memorySource } from "../../../src/config/source";
import { RTT_UNIT, rttUnits } from "../../../src/config/vrrp/net/route";
import { routeMetrics } from "../../../src/runtime/kernel-linux";

const load = (routes: string) =>
  parseConf("k.conf", {
    source: memorySource({ "k.conf": `static_routes {\n${routes}\n}\n` }),
    host: { interfaceExists: () => true },
  });

describe("get_time_rtt", () => {
  test("s and ms scale by the kernel's unit per ms; a bare number is raw; 200 ms .. 120 s", () => {
    expect(rttUnits("300ms", RTT_UNIT.rtt)).toBe(2400);
    expect(rttUnits("300msec", RTT_UNIT.rtt)).toBe(2400);
    expect(rttUnits("1.5s", RTT_UNIT.rttvar)).toBe(6000);
    expect(rttUnits("2secs", RTT_UNIT.rtoMin)).toBe(2000);
    expect(rttUnits("5000", RTT_UNIT.rtt)).toBe(5000);
    // keepalived raises a value below 200 ms and lowers one above 120 s, with a log line
    expect(rttUnits("10ms", RTT_UNIT.rtt)).toBe(1600);
    expect(rttUnits("10", RTT_UNIT.rtoMin)).toBe(200);
    expect(rttUnits("121s", RTT_UNIT.rtt)).toBe(960000);
    // the bound before scaling is 120 s in the kernel's units: 121 s of rto_min is past it
    expect(rttUnits("121s", RTT_UNIT.rtoMin)).toBeUndefined();
  });
  test("what keepalived calls invalid", () => {
    for (const t of ["10us", "10ns", "1.5ms", "1.2345s", "1e3", "999999s"]) expect(rttUnits(t, 8)).toBeUndefined();
  });
});

test("metrics and their locks, as netlink_route sends them", () => {
  const r = load(
    "  10.1.0.0/16 via 10.0.0.1 dev eth0 mtu lock 1400 advmss 1300 rtt 300ms rttvar lock 1s rto_min lock 250ms congctl lock cubic features ecn window 1000 ssthresh 20 cwnd lock 10 reordering 5 hoplimit 64 initcwnd 12 initrwnd 14 quickack 1 fastopen_no_cookie 0",
  );
  expect(r.diagnostics.items.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d))).toEqual([]);
  const [route] = r.config.staticRoutes;
  expect(route && routeMetrics(route)).toEqual({
    congctl: "cubic",
    rtt: 2400,
    rttvar: 4000,
    rtoMin: 250,
    features: 1,
    mtu: 1400,
    window: 1000,
    ssthresh: 20,
    cwnd: 10,
    advmss: 1300,
    reordering: 5,
    hoplimit: 64,
    initcwnd: 12,
    initrwnd: 14,
    quickack: 1,
    fastopenNoCookie: 0,
    // RTAX_MTU 2, RTAX_RTTVAR 5, RTAX_CWND 7, RTAX_RTO_MIN 13, RTAX_CC_ALGO 16
    lock: (1 << 2) | (1 << 5) | (1 << 7) | (1 << 13) | (1 << 16),
  });
});

test("no metrics: no RTA_METRICS", () => {
  const [route] = load("  10.1.0.0/16 via 10.0.0.1 dev eth0").config.staticRoutes;
  expect(route && routeMetrics(route)).toBeUndefined();
});

test("a time keepalived cannot read drops the line with the reason", () => {
  const r = load("  10.1.0.0/16 via 10.0.0.1 dev eth0 rtt 10us");
  expect(r.config.staticRoutes).toEqual([]);
  expect(r.diagnostics.items.map((d) => formatDiagnostic(d)).join("\n")).toMatch(/k\.conf:2.*invalid rtt '10us'/);
});
